import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { queryRows, schema } from '../db/client.js';
import { expire } from './expire.js';
import { propose } from './propose.js';
import { SAFETY_TIMER_HANDLERS } from './safety-timers.js';
import type { ServiceDeps } from './types.js';

const { timers, executions } = schema;
const LEASE_MS = 5 * 60_000;

export type TimerHandler = (deps: ServiceDeps, payload: Record<string, unknown>) => Promise<void>;

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

/**
 * Runs due timers. Each is leased (run_at pushed ahead) under FOR UPDATE SKIP LOCKED, so replicas
 * share the work and a crashed run comes due again; handlers are idempotent.
 */
export async function runDueTimers(deps: ServiceDeps, handlers: Record<string, TimerHandler>, limit = 20): Promise<number> {
  const now = deps.now();
  const claimed = await deps.db.transaction(async (tx) => {
    const due = await tx
      .select({ id: timers.id })
      .from(timers)
      .where(and(eq(timers.status, 'pending'), lte(timers.runAt, now)))
      .orderBy(timers.runAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(timers)
      .set({ runAt: new Date(now.getTime() + LEASE_MS), attempts: sql`${timers.attempts} + 1` })
      .where(inArray(timers.id, due.map((d) => d.id)))
      .returning();
  });
  for (const t of claimed) {
    const handler = handlers[t.kind];
    try {
      if (!handler) throw new Error(`no handler for timer kind ${t.kind}`);
      await handler(deps, t.payload);
      await deps.db.update(timers).set({ status: 'done', doneAt: deps.now(), lastError: null }).where(eq(timers.id, t.id));
    } catch (e) {
      const attempts = t.attempts;
      const dead = attempts >= 10;
      deps.logger.error({ err: e, timer: t.key, attempts }, dead ? 'timer gave up' : 'timer failed; will retry');
      await deps.db
        .update(timers)
        .set({ status: dead ? 'dead' : 'pending', lastError: (e as Error).message.slice(0, 1000), runAt: new Date(deps.now().getTime() + Math.min(300_000, 1000 * 2 ** attempts)) })
        .where(eq(timers.id, t.id));
    }
  }
  return claimed.length;
}

/** Open incidents that never got a proposal (a crash before their timer was written cannot happen, but a dead timer can). */
export async function orphanIncidents(deps: ServiceDeps): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(deps.db, sql`select i.id from incidents i where i.status = 'open' and not exists (select 1 from proposals p where p.incident_id = i.id) and not exists (select 1 from timers t where t.key = 'propose:' || i.id and t.status = 'pending')`);
  return rows.map((r) => r.id);
}
