import { and, eq, getTableColumns, lte, or, sql, type Column, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { queryRows, type Db, type Executor, type schema } from '../db/client.js';
import { DEFAULT_LEASE_MS, QUEUE_TABLES, createLeaseKeeper, leaseColumns, leaseFree, type LeaseCounters, type LeaseKeeper, type QueueName } from './lease.js';

/**
 * The one leased-queue primitive under timers (jobs) and the outbox: rows are claimed oldest first
 * under FOR UPDATE SKIP LOCKED with a lease on the database's clock, renewed while they run, and
 * finished, retried or handed back only while still ours, so replicas share the work and a crash
 * only delays a row.
 */

export type QueueRow<Q extends QueueName> = Q extends 'timer' ? typeof schema.timers.$inferSelect : typeof schema.outbox.$inferSelect;

export interface QueueOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The replica's name, recorded in `leased_by`. */
  holder: string;
  leaseMs?: number;
  metrics?: LeaseCounters | undefined;
}

export interface ClaimSpec {
  /** Which rows, beyond "pending, due, lease free". */
  where?: SQL | undefined;
  /** The order they are taken in (default: due time, then id). */
  orderBy?: (SQL | PgColumn)[];
  limit: number;
  /** Also rows not yet due, and rows leased to this holder already (a caller running one job now, by its key). */
  early?: boolean;
}

export interface LeasedQueue<Q extends QueueName> {
  readonly name: Q;
  readonly keeper: LeaseKeeper;
  /** Claims due rows, leased to this replica and held (renewed) until released. */
  claim(spec: ClaimSpec): Promise<QueueRow<Q>[]>;
  /** Sets a finished row's outcome once: only a row still pending is finished. */
  finish(ex: Executor, id: number, set: Partial<QueueRow<Q>>): Promise<boolean>;
  /** Due again at `at` (a retry after a failure, or a recurring job's next run); only while ours, so a peer that took it over decides its fate. */
  retry(id: number, at: Date, error: string | null, opts?: { resetAttempts?: boolean }): Promise<boolean>;
  /** Not its turn yet (pacing): due again at `at` without counting the attempt; only while ours. */
  handBack(id: number, at: Date): Promise<boolean>;
  /** Stops renewing a row's lease (after finish, retry or hand-back). */
  release(id: number): void;
  stop(): void;
}

const UNLEASED = { leasedBy: null, leaseExpiresAt: null };

export function createLeasedQueue<Q extends QueueName>(name: Q, opts: QueueOptions): LeasedQueue<Q> {
  const t = leaseColumns(QUEUE_TABLES[name]);
  // The due column: run_at for timers, next_attempt_at for the outbox.
  const due = name === 'timer' ? t.runAt : (QUEUE_TABLES.outbox as typeof schema.outbox).nextAttemptAt;
  const keeper = createLeaseKeeper({ db: opts.db, queue: name, holder: opts.holder, leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS, logger: opts.logger, clock: opts.clock, metrics: opts.metrics });
  const columns = getTableColumns(QUEUE_TABLES[name]);
  const mine = (id: number) => and(eq(t.id, id), eq(t.status, 'pending'), eq(t.leasedBy, keeper.holder));

  async function claim(spec: ClaimSpec): Promise<QueueRow<Q>[]> {
    if (spec.limit <= 0) return [];
    const now = opts.clock.now();
    const free = spec.early ? or(leaseFree(t.leaseExpiresAt), eq(t.leasedBy, keeper.holder)) : and(lte(due, now), leaseFree(t.leaseExpiresAt));
    const order = sql.join(spec.orderBy ?? [sql`${due}`, t.id], sql`, `);
    // One statement, so a poll that finds nothing is one round trip and holds a pooled connection
    // for no longer: the due rows are locked (SKIP LOCKED: a peer's claim in flight is passed
    // over), leased and returned. The outer select names the claimed rows after their table, so
    // the order the caller wrote against the table applies to them.
    const raw = await queryRows<Record<string, unknown>>(
      opts.db,
      sql`with picked as (
        select ${t.id} as id, ${t.leasedBy} as previous_holder from ${t}
        where ${and(eq(t.status, 'pending'), free, spec.where)}
        order by ${order} limit ${spec.limit} for update skip locked
      ), claimed as (
        update ${t} set leased_by = ${keeper.holder}, lease_expires_at = ${keeper.expiry()}, attempts = ${t.attempts} + 1
        from picked where ${t.id} = picked.id
        returning ${t}.*, picked.previous_holder as sre_previous_holder
      )
      select * from claimed as ${t} order by ${order}`,
    );
    const claimed = { rows: raw.map((r) => fromDriver(columns, r) as QueueRow<Q>), expired: raw.flatMap((r) => (typeof r.sre_previous_holder === 'string' ? [r.sre_previous_holder] : [])) };
    if (claimed.expired.length > 0) {
      // A holder that finishes clears leased_by: one still set means its lease ran out unfinished.
      opts.metrics?.leaseExpiries.inc({ work: name }, claimed.expired.length);
      opts.metrics?.takeovers?.inc({ cause: 'lease_expired' }, new Set(claimed.expired).size);
      opts.logger.warn({ holders: [...new Set(claimed.expired)], work: name, rows: claimed.expired.length }, 'took over work whose lease ran out');
    }
    for (const r of claimed.rows) keeper.hold(r.id);
    return claimed.rows;
  }

  return {
    name,
    keeper,
    claim,
    async finish(ex, id, set) {
      const done = await ex
        .update(t)
        .set({ ...UNLEASED, lastError: null, ...(set as object) })
        .where(and(eq(t.id, id), eq(t.status, 'pending')))
        .returning({ id: t.id });
      return done.length > 0;
    },
    async retry(id, at, error, o = {}) {
      const r = await opts.db
        .update(t)
        .set({ ...UNLEASED, lastError: error?.slice(0, 1000) ?? null, ...(o.resetAttempts ? { attempts: 0 } : {}), ...dueAt(name, at) })
        .where(mine(id))
        .returning({ id: t.id });
      return r.length > 0;
    },
    async handBack(id, at) {
      const r = await opts.db
        .update(t)
        .set({ ...UNLEASED, attempts: sql`greatest(${t.attempts} - 1, 0)`, ...dueAt(name, at) })
        .where(mine(id))
        .returning({ id: t.id });
      return r.length > 0;
    },
    release: (id) => keeper.release(id),
    stop: () => keeper.stop(),
  };
}

/** A raw row (database names, driver values) as the typed row a query builder would return. */
function fromDriver(columns: Record<string, Column>, raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, col] of Object.entries(columns)) {
    const v = raw[col.name];
    out[key] = v === null || v === undefined ? null : col.mapFromDriverValue(v);
  }
  return out;
}

/** The due column's value under its name in each table (an UPDATE's `set`); typed as the timers' view of leaseColumns. */
function dueAt(name: QueueName, at: Date): { runAt: Date } {
  return (name === 'timer' ? { runAt: at } : { nextAttemptAt: at }) as unknown as { runAt: Date };
}
