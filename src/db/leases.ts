import { and, eq, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.js';
import { schema, type Db } from './client.js';

/** Short: a dead replica's work comes due within this; a live one renews well before it ends. */
export const DEFAULT_LEASE_MS = 15_000;

export type LeasedWork = 'timer' | 'outbox';

export interface LeaseKeeperOptions {
  db: Db;
  work: LeasedWork;
  /** The replica's name (SRE_CONSUMER_NAME, else host-pid): what `leased_by` records. */
  holder: string;
  leaseMs: number;
  logger: Logger;
  /** Paces the renewals (the lease ends themselves are on the database's clock). */
  clock: Clock;
  /** Counts renewals (the caller's metrics; db/ imports none). */
  onRenewed?: ((work: LeasedWork, n: number) => void) | undefined;
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
  stop(): void;
}

/**
 * Keeps the leases of the rows this replica works on alive with one UPDATE per period for all of
 * them, so a handler slower than the lease is never taken over while its replica lives.
 */
export function createLeaseKeeper(opts: LeaseKeeperOptions): LeaseKeeper {
  const held = new Set<number>();
  let timer: TimerHandle | undefined;
  let renewing: Promise<number[]> | undefined;

  async function renewNow(): Promise<number[]> {
    const ids = [...held];
    if (ids.length === 0) return [];
    const until = leaseUntil(opts.leaseMs);
    const kept =
      opts.work === 'timer'
        ? await opts.db
            .update(schema.timers)
            .set({ leaseExpiresAt: until })
            .where(and(inArray(schema.timers.id, ids), eq(schema.timers.leasedBy, opts.holder), eq(schema.timers.status, 'pending')))
            .returning({ id: schema.timers.id })
        : await opts.db
            .update(schema.outbox)
            .set({ leaseExpiresAt: until })
            .where(and(inArray(schema.outbox.id, ids), eq(schema.outbox.leasedBy, opts.holder), eq(schema.outbox.status, 'pending')))
            .returning({ id: schema.outbox.id });
    if (kept.length > 0) opts.onRenewed?.(opts.work, kept.length);
    const keptIds = new Set(kept.map((k) => k.id));
    // Finished meanwhile, or taken by a peer after a stall longer than the lease: stop renewing.
    const lost = ids.filter((id) => !keptIds.has(id) && held.has(id));
    for (const id of lost) held.delete(id);
    if (lost.length > 0) opts.logger.debug({ work: opts.work, ids: lost }, 'leases no longer ours');
    return lost;
  }

  function renew(): Promise<number[]> {
    // One renewal at a time: a slow database must not stack them up.
    renewing ??= renewNow()
      .catch((err: unknown) => {
        opts.logger.warn({ err, work: opts.work }, 'lease renewal failed; retrying next period');
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
    stop() {
      held.clear();
      timer?.cancel();
      timer = undefined;
    },
  };
}

/**
 * A replica restarted under its old name takes back what it held when it died at once: nothing of
 * that name runs any more, so its leases are released instead of waited out.
 */
export async function releaseOwnLeases(db: Db, holder: string): Promise<{ timers: number; outbox: number }> {
  const t = await db
    .update(schema.timers)
    .set({ leasedBy: null, leaseExpiresAt: null })
    .where(and(eq(schema.timers.leasedBy, holder), eq(schema.timers.status, 'pending'), isNotNull(schema.timers.leaseExpiresAt)))
    .returning({ id: schema.timers.id });
  const o = await db
    .update(schema.outbox)
    .set({ leasedBy: null, leaseExpiresAt: null })
    .where(and(eq(schema.outbox.leasedBy, holder), eq(schema.outbox.status, 'pending'), isNotNull(schema.outbox.leaseExpiresAt)))
    .returning({ id: schema.outbox.id });
  return { timers: t.length, outbox: o.length };
}

/**
 * Leases run on the database's clock, not a replica's: replicas whose clocks disagree (or tests that
 * pin the agent's clock) still agree on when a lease ends.
 */
export const leaseUntil = (ms: number): SQL => sql`clock_timestamp() + ${Math.round(ms)}::int * interval '1 millisecond'`;

/** Claimable: nobody holds it, or its holder's lease ran out. */
export const leaseFree = (leaseExpiresAt: typeof schema.timers.leaseExpiresAt | typeof schema.outbox.leaseExpiresAt): SQL =>
  sql`(${leaseExpiresAt} is null or ${leaseExpiresAt} <= clock_timestamp())`;
