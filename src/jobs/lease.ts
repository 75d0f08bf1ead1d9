import { and, eq, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.js';
import { schema, type Db } from '../db/client.js';

/** Short: a dead replica's work comes due within this; a live one renews well before it ends. */
export const DEFAULT_LEASE_MS = 15_000;

/** How many rows lost while held are remembered for takenOver(). */
const LOST_REMEMBERED = 10_000;

/** The two leased queues: durable timers (jobs) and the notification outbox. */
export type QueueName = 'timer' | 'outbox';
export type LeasedTable = typeof schema.timers | typeof schema.outbox;

export const QUEUE_TABLES: Readonly<Record<QueueName, LeasedTable>> = { timer: schema.timers, outbox: schema.outbox };

/**
 * Both queue tables carry the same lease columns (id, status, attempts, leased_by,
 * lease_expires_at, last_error): an update or a filter on those columns is valid on either, and
 * the column objects reached through this view are the real table's own.
 */
export function leaseColumns(t: LeasedTable): typeof schema.timers {
  return t as unknown as typeof schema.timers;
}

/** Counters a lease keeper and a queue report to (the caller's metrics; jobs/ imports none). */
export interface LeaseCounters {
  leaseRenewals: { inc(labels: { work: string }, n?: number): void };
  leaseExpiries: { inc(labels: { work: string }, n?: number): void };
  takeovers?: { inc(labels: { cause: 'lease_expired' }, n?: number): void };
}

export interface LeaseKeeperOptions {
  db: Db;
  queue: QueueName;
  /** The replica's name (SRE_CONSUMER_NAME, else host-pid): what `leased_by` records. */
  holder: string;
  leaseMs: number;
  logger: Logger;
  /** Paces the renewals (the lease ends themselves are on the database's clock). */
  clock: Clock;
  metrics?: LeaseCounters | undefined;
}

export interface LeaseKeeper {
  readonly holder: string;
  readonly leaseMs: number;
  /** The lease end to write when claiming now (the database's clock: one clock for every replica). */
  expiry(): SQL;
  /** Renews the row's lease until release(), a third of a lease at a time. */
  hold(id: number): void;
  release(id: number): void;
  /** Renews every held lease now; returns the ids whose lease another replica took. */
  renew(): Promise<number[]>;
  /**
   * Whether a renewal found the row no longer leased to this replica while it was held (a peer
   * took it over: this replica was paused past its heartbeat or its lease; or the work finished it
   * in its own transaction). Either way its outcome is recorded already or is the peer's to record.
   * Asked once, after the work.
   */
  takenOver(id: number): boolean;
  /**
   * Gives every held row back at once (shutting down): unleased and its attempt not counted, so a
   * peer takes it now instead of when the lease would have ended. Returns how many.
   */
  handBack(): Promise<number>;
  stop(): void;
}

/**
 * Keeps the leases of the rows this replica works on alive with one UPDATE per period for all of
 * them, so a handler slower than the lease is never taken over while its replica lives.
 */
export function createLeaseKeeper(opts: LeaseKeeperOptions): LeaseKeeper {
  const t = leaseColumns(QUEUE_TABLES[opts.queue]);
  const held = new Set<number>();
  const lostWhileHeld = new Set<number>();
  let timer: TimerHandle | undefined;
  let renewing: Promise<number[]> | undefined;

  async function renewNow(): Promise<number[]> {
    const ids = [...held];
    if (ids.length === 0) return [];
    const kept = await opts.db
      .update(t)
      .set({ leaseExpiresAt: leaseUntil(opts.leaseMs) })
      .where(and(inArray(t.id, ids), eq(t.leasedBy, opts.holder), eq(t.status, 'pending')))
      .returning({ id: t.id });
    if (kept.length > 0) opts.metrics?.leaseRenewals.inc({ work: opts.queue }, kept.length);
    const keptIds = new Set(kept.map((k) => k.id));
    // Finished meanwhile, or taken by a peer after a stall longer than the lease: stop renewing.
    const lost = ids.filter((id) => !keptIds.has(id) && held.has(id));
    for (const id of lost) {
      held.delete(id);
      lostWhileHeld.add(id);
    }
    // Remembered until asked (or held again); bounded so rows finished in their own transaction never pile up.
    for (const id of lostWhileHeld) {
      if (lostWhileHeld.size <= LOST_REMEMBERED) break;
      lostWhileHeld.delete(id);
    }
    if (lost.length > 0) opts.logger.debug({ work: opts.queue, ids: lost }, 'leases no longer ours');
    return lost;
  }

  function renew(): Promise<number[]> {
    // One renewal at a time: a slow database must not stack them up.
    renewing ??= renewNow()
      .catch((err: unknown) => {
        opts.logger.warn({ err, work: opts.queue }, 'lease renewal failed; retrying next period');
        return [];
      })
      .finally(() => {
        renewing = undefined;
      });
    return renewing;
  }

  function schedule() {
    if (timer || held.size === 0) return;
    timer = opts.clock.every(Math.max(50, Math.floor(opts.leaseMs / 3)), () => void renew());
  }

  return {
    holder: opts.holder,
    leaseMs: opts.leaseMs,
    expiry: () => leaseUntil(opts.leaseMs),
    hold(id) {
      held.add(id);
      lostWhileHeld.delete(id);
      schedule();
    },
    release(id) {
      held.delete(id);
      if (held.size === 0 && timer) {
        timer.cancel();
        timer = undefined;
      }
    },
    renew,
    takenOver(id) {
      return lostWhileHeld.delete(id);
    },
    async handBack() {
      const ids = [...held];
      held.clear();
      timer?.cancel();
      timer = undefined;
      if (ids.length === 0) return 0;
      const rows = await opts.db
        .update(t)
        .set({ leasedBy: null, leaseExpiresAt: null, attempts: sql`greatest(${t.attempts} - 1, 0)` })
        .where(and(inArray(t.id, ids), eq(t.leasedBy, opts.holder), eq(t.status, 'pending')))
        .returning({ id: t.id });
      return rows.length;
    },
    stop() {
      held.clear();
      lostWhileHeld.clear();
      timer?.cancel();
      timer = undefined;
    },
  };
}

/**
 * A replica restarted under its old name takes back what it held when it died at once: nothing of
 * that name runs any more, so its leases are released instead of waited out.
 */
export async function releaseOwnLeases(db: Db, holder: string): Promise<Record<QueueName, number>> {
  return releaseLeases(db, holder, (t) => isNotNull(t.leaseExpiresAt));
}

/** Releases the pending rows of both queues leased to `holder` (and meeting `also`); how many of each. */
export async function releaseLeases(db: Db, holder: string, also: (t: ReturnType<typeof leaseColumns>) => SQL | undefined): Promise<Record<QueueName, number>> {
  const out = { timer: 0, outbox: 0 };
  for (const q of ['timer', 'outbox'] as const) {
    const t = leaseColumns(QUEUE_TABLES[q]);
    const rows = await db
      .update(t)
      .set({ leasedBy: null, leaseExpiresAt: null })
      .where(and(eq(t.leasedBy, holder), eq(t.status, 'pending'), also(t)))
      .returning({ id: t.id });
    out[q] = rows.length;
  }
  return out;
}

/**
 * Leases run on the database's clock, not a replica's: replicas whose clocks disagree (or tests that
 * pin the agent's clock) still agree on when a lease ends.
 */
export const leaseUntil = (ms: number): SQL => sql`clock_timestamp() + ${Math.round(ms)}::int * interval '1 millisecond'`;

/** Claimable: nobody holds it, or its holder's lease ran out. */
export const leaseFree = (leaseExpiresAt: LeasedTable['leaseExpiresAt']): SQL => sql`(${leaseExpiresAt} is null or ${leaseExpiresAt} <= clock_timestamp())`;
