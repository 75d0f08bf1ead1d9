import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { connectPglite, connectPostgres, queryRows, type Database } from '../../src/db/client.js';
import { TEST_DATABASE_URL, databaseUrl, templateDb } from './env.js';
import { eventually } from './eventually.js';

export interface TestDatabase extends Database {
  name: string;
  url: string;
  /** Drops the database (PostgreSQL) or closes it (PGlite). */
  dispose(): Promise<void>;
}

/** A fresh, migrated PostgreSQL database cloned from the template. */
export async function freshPostgres(): Promise<TestDatabase> {
  const name = `sre_t_${process.env.SRE_TEST_RUN ?? 'x'}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${templateDb()}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const d = connectPostgres(url);
  return {
    ...d,
    name,
    url,
    async dispose() {
      await d.close();
      const a = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** A fresh, migrated in-memory PGlite: the embedded default. */
export async function freshPglite(): Promise<TestDatabase> {
  const d = await connectPglite();
  await d.migrate();
  return { ...d, name: 'pglite', url: '', dispose: () => d.close() };
}

/** Sessions of this test's database waiting for a lock (pg_stat_activity is the server's: only this database counts). */
export const lockWaits = async (d: Pick<Database, 'db'>): Promise<number> =>
  (await queryRows<{ n: number }>(d.db, sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0]!.n;

/** The race itself: fails the test unless a session is seen queued on a lock another holds. */
export const queuedOnALock = (d: Pick<Database, 'db'>, what: string): Promise<boolean> => eventually(async () => (await lockWaits(d)) > 0, { what, timeoutMs: 10_000 });
