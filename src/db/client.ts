import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema/index.js';

export { schema };
export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Anything that runs queries: the database or a transaction inside it. */
export type Executor = Db | Tx;

/** The committed migrations, beside src/ and dist/ alike. */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'drizzle');

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  migrate(): Promise<void>;
  /** Database reachable and every committed migration applied. */
  ready(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
  /** The underlying postgres.js client, for raw work (PostgreSQL only). */
  raw?: postgres.Sql;
  /** A new one-connection client for COPY, to be ended by the caller (PostgreSQL only). */
  openCopyClient?: () => postgres.Sql;
}

/** Rows of a raw query, whichever driver ran it (postgres.js returns an array, PGlite `{ rows }`). */
export async function queryRows<T extends Record<string, unknown>>(ex: Executor, q: SQL): Promise<T[]> {
  const r: unknown = await ex.execute(q);
  if (Array.isArray(r)) return r as T[];
  return ((r as { rows?: T[] }).rows ?? []) as T[];
}

async function expectedMigrations(): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

async function migrationState(db: Db): Promise<{ ok: boolean; detail: string }> {
  try {
    const want = await expectedMigrations();
    const rows = await queryRows<{ n: string | number }>(
      db,
      sql`select count(*) as n from drizzle.__drizzle_migrations`,
    ).catch(() => [{ n: 0 }]);
    const have = Number(rows[0]?.n ?? 0);
    return have >= want ? { ok: true, detail: `${have} migrations applied` } : { ok: false, detail: `${have} of ${want} migrations applied` };
  } catch (e) {
    return { ok: false, detail: `database unreachable: ${(e as Error).message}` };
  }
}

export function connectPostgres(url: string, options: { max?: number } = {}): Database {
  const client = postgres(url, { max: options.max ?? 10, onnotice: () => {}, connect_timeout: 10 });
  const db = drizzlePostgres(preparing(client), { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    raw: client,
    openCopyClient: () => postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 }),
    async migrate() {
      // Nothing to apply: the runtime role (no CREATE, docs/deploy.md) starts without running DDL.
      if ((await migrationState(db)).ok) return;
      // A single session holds an advisory lock so replicas starting together migrate once.
      const one = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await one`select pg_advisory_lock(7400132000)`;
        await migratePostgres(drizzlePostgres(one), { migrationsFolder: MIGRATIONS_DIR });
        await one`select pg_advisory_unlock(7400132000)`;
      } finally {
        await one.end({ timeout: 5 });
      }
    },
    ready: () => migrationState(db),
    close: () => client.end({ timeout: 5 }),
  };
}

/** Distinct statement texts one client prepares at most (each connection keeps at most these). */
export const PREPARED_TEXTS_MAX = 2000;

/**
 * The client drizzle is given, with every parameterised query prepared. drizzle runs a query it
 * was not asked to name as `unsafe(text, params, { prepare: false })`, and postgres.js sends such
 * a query in two round trips (it describes the statement first, to learn its parameters' types,
 * and sends nothing behind it meanwhile). Prepared, a text is described once on each connection
 * and then takes one round trip, pipelined behind whatever was sent before it. The texts are the
 * code's own (values travel as parameters), but a list's length is part of its text (`in ($1, $2)`),
 * so the texts prepared are counted and capped: past `maxTexts` distinct texts a new one runs
 * unprepared, and no connection keeps more statements than that however long the agent runs.
 * Transactions and savepoints hand out clients of their own: those too.
 */
export function preparing(client: postgres.Sql, texts = new Set<string>(), maxTexts = PREPARED_TEXTS_MAX): postgres.Sql {
  const prepare = (text: string): boolean => {
    if (texts.has(text)) return true;
    if (texts.size >= maxTexts) return false;
    texts.add(text);
    return true;
  };
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') return (text: string, args?: postgres.ParameterOrJSON<never>[], opts?: postgres.UnsafeQueryOptions) => target.unsafe(text, args, { ...opts, prepare: (args?.length ?? 0) > 0 && prepare(text) });
      if (prop === 'begin' || prop === 'savepoint') {
        return (...a: unknown[]) => {
          const body = a.pop() as (tx: postgres.Sql) => unknown;
          return (Reflect.get(target, prop) as (...b: unknown[]) => unknown)(...a, (tx: postgres.Sql) => body(preparing(tx, texts, maxTexts)));
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

/** Embedded PostgreSQL (PGlite): in memory when dataDir is undefined. One process owns a data dir. */
export async function connectPglite(dataDir?: string): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pg = dataDir ? new PGlite(path.resolve(dataDir)) : new PGlite();
  await pg.waitReady;
  const db = drizzlePglite(pg, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    migrate: () => migratePglite(drizzlePglite(pg), { migrationsFolder: MIGRATIONS_DIR }),
    ready: () => migrationState(db),
    close: () => pg.close(),
  };
}

export async function openDatabase(opts: { databaseUrl: string | undefined; dataDir: string }): Promise<Database> {
  if (opts.databaseUrl) return connectPostgres(opts.databaseUrl);
  return connectPglite(path.join(opts.dataDir, 'pglite'));
}
