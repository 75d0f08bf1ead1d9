import { hostname } from 'node:os';
import { and, eq, inArray, lte, notInArray, sql, type SQL } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { queryRows, schema } from '../db/client.js';
import { DEFAULT_LEASE_MS, createLeaseKeeper, leaseFree, type LeaseKeeper } from '../db/leases.js';
import { expire } from './expire.js';
import { propose } from './propose.js';
import { SAFETY_TIMER_HANDLERS } from './safety-timers.js';
import type { ServiceDeps } from './types.js';

const { timers, executions } = schema;
const MAX_ATTEMPTS = 10;

export type TimerHandler = (deps: ServiceDeps, payload: Record<string, unknown>) => Promise<void>;
export type TimerRow = typeof timers.$inferSelect;

/** The durable jobs: proposing for a new incident, expiring, restoring; escalation is added by its owner. */
export const DEFAULT_TIMER_HANDLERS: Record<string, TimerHandler> = {
  ...SAFETY_TIMER_HANDLERS,
  propose: async (deps, p) => {
    await propose(deps, { incidentId: String(p.incident_id) });
  },
  expire: async (deps, p) => {
    await expire(deps, String(p.proposal_id));
  },
  restore: async (deps, p) => {
    const [exe] = await deps.db.select().from(executions).where(eq(executions.id, String(p.execution_id)));
    if (!exe) return;
    const [prop] = await deps.db.select().from(schema.proposals).where(eq(schema.proposals.id, exe.proposalId));
    await deps.db.transaction((tx) =>
      appendAudit(tx, {
        kind: 'action.restored',
        actor: { type: 'system', name: 'scheduler' },
        incidentId: prop?.incidentId ?? null,
        proposalId: exe.proposalId,
        payload: { execution_id: exe.id, note: 'circuit-breaker duration ended; the provider is back in rotation' },
      }),
    );
  },
};

/** Which timers a lane takes: some kinds, or every kind but some. */
export type KindFilter = { kinds: readonly string[] } | { exceptKinds: readonly string[] };

export interface TimerRunner {
  readonly keeper: LeaseKeeper;
  /** Claims up to `limit` due timers, oldest first, under FOR UPDATE SKIP LOCKED, leased to this replica. */
  claim(filter: KindFilter, limit: number): Promise<TimerRow[]>;
  /** Runs one claimed timer with its lease renewed throughout; records done, or a retry with backoff. */
  run(t: TimerRow, work: () => Promise<void>): Promise<boolean>;
}

export interface TimerRunnerOptions {
  /** The replica's name, recorded in `leased_by`. */
  holder: string;
  leaseMs?: number;
}

export const defaultHolder = () => `${hostname()}-${process.pid}`;

export function createTimerRunner(deps: ServiceDeps, opts: TimerRunnerOptions): TimerRunner {
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const keeper = createLeaseKeeper({
    db: deps.db,
    work: 'timer',
    holder: opts.holder,
    leaseMs,
    logger: deps.logger,
    clock: deps.clock,
    onRenewed: (work, n) => deps.metrics?.leaseRenewals.inc({ work }, n),
  });

  async function claim(filter: KindFilter, limit: number): Promise<TimerRow[]> {
    if (limit <= 0) return [];
    const now = deps.clock.now();
    const kind: SQL | undefined =
      'kinds' in filter ? inArray(timers.kind, [...filter.kinds]) : filter.exceptKinds.length > 0 ? notInArray(timers.kind, [...filter.exceptKinds]) : undefined;
    const claimed = await deps.db.transaction(async (tx) => {
      const due = await tx
        .select({ id: timers.id, leasedBy: timers.leasedBy })
        .from(timers)
        .where(and(eq(timers.status, 'pending'), lte(timers.runAt, now), leaseFree(timers.leaseExpiresAt), kind))
        .orderBy(timers.runAt, timers.id)
        .limit(limit)
        .for('update', { skipLocked: true });
      if (due.length === 0) return { rows: [], expired: [] as string[] };
      const rows = await tx
        .update(timers)
        .set({ leasedBy: keeper.holder, leaseExpiresAt: keeper.expiry(), attempts: sql`${timers.attempts} + 1` })
        .where(inArray(timers.id, due.map((d) => d.id)))
        .returning();
      return { rows, expired: due.flatMap((d) => (d.leasedBy ? [d.leasedBy] : [])) };
    });
    if (claimed.expired.length > 0) {
      // A holder that finishes clears leased_by: one still set means its lease ran out unfinished.
      deps.metrics?.leaseExpiries.inc({ work: 'timer' }, claimed.expired.length);
      deps.logger.warn({ holders: [...new Set(claimed.expired)], timers: claimed.expired.length }, 'took over timers whose lease ran out');
    }
    return claimed.rows.sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || a.id - b.id);
  }

  async function run(t: TimerRow, work: () => Promise<void>): Promise<boolean> {
    keeper.hold(t.id);
    try {
      await work();
      keeper.release(t.id);
      await deps.db.update(timers).set({ status: 'done', doneAt: deps.clock.now(), lastError: null, leasedBy: null, leaseExpiresAt: null }).where(eq(timers.id, t.id));
      return true;
    } catch (e) {
      keeper.release(t.id);
      const dead = t.attempts >= MAX_ATTEMPTS;
      deps.logger.error({ err: e, timer: t.key, attempts: t.attempts }, dead ? 'timer gave up' : 'timer failed; will retry');
      await deps.db
        .update(timers)
        .set({
          status: dead ? 'dead' : 'pending',
          lastError: (e as Error).message.slice(0, 1000),
          runAt: new Date(deps.clock.now().getTime() + Math.min(300_000, 1000 * 2 ** t.attempts)),
          leasedBy: null,
          leaseExpiresAt: null,
        })
        // Only while it is still ours: a peer that took it over after a stall owns its fate now.
        .where(and(eq(timers.id, t.id), eq(timers.status, 'pending'), eq(timers.leasedBy, keeper.holder)));
      return false;
    }
  }

  return { keeper, claim, run };
}

/** Runs one timer through its kind's handler (an unknown kind fails and backs off like any error). */
export function runTimer(deps: ServiceDeps, runner: TimerRunner, handlers: Record<string, TimerHandler>, t: TimerRow): Promise<boolean> {
  return runner.run(t, async () => {
    const handler = handlers[t.kind];
    if (!handler) throw new Error(`no handler for timer kind ${t.kind}`);
    await handler(deps, t.payload);
  });
}

/**
 * One pass over due timers of every kind, run side by side: a one-shot for tools and tests. The
 * agent itself runs timers in lanes (lanes.ts) and reasoning in its pool (reasoning-pool.ts).
 */
export async function runDueTimers(deps: ServiceDeps, handlers: Record<string, TimerHandler>, limit = 20, runner?: TimerRunner): Promise<number> {
  const r = runner ?? createTimerRunner(deps, { holder: defaultHolder() });
  const claimed = await r.claim({ exceptKinds: [] }, limit);
  await Promise.all(claimed.map((t) => runTimer(deps, r, handlers, t)));
  return claimed.length;
}

/** Open incidents that never got a proposal (a crash before their timer was written cannot happen, but a dead timer can). */
export async function orphanIncidents(deps: ServiceDeps): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(deps.db, sql`select i.id from incidents i where i.status = 'open' and not exists (select 1 from proposals p where p.incident_id = i.id) and not exists (select 1 from timers t where t.key = 'propose:' || i.id and t.status = 'pending')`);
  return rows.map((r) => r.id);
}

/** Gives an orphan incident a due `propose` timer again, so it is reasoned about in the pool like any other. */
export async function rearmPropose(deps: ServiceDeps, incidentId: string): Promise<void> {
  const now = deps.clock.now();
  await deps.db
    .insert(timers)
    .values({ kind: 'propose', key: `propose:${incidentId}`, runAt: now, payload: { incident_id: incidentId } })
    .onConflictDoUpdate({
      target: timers.key,
      set: { status: 'pending', runAt: now, attempts: 0, lastError: null, leasedBy: null, leaseExpiresAt: null, doneAt: null },
      setWhere: sql`${timers.status} <> 'pending'`,
    });
}
