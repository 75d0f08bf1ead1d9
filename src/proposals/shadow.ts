import { desc, eq, sql } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema, type Executor } from '../db/client.js';
import type { AgentMode } from '../domain/policy.js';
import type { Actor } from '../domain/proposal.js';
import { shadowReason } from '../domain/shadow.js';
import { enqueueNotification } from '../jobs/index.js';
import type { ServiceDeps } from './types.js';

const { proposals, sreActions } = schema;
const AGENT: Actor = { type: 'system', name: 'agent' };
type ProposalRow = typeof proposals.$inferSelect;
// Any constant will do: it only has to be the same for every replica.
const sqlLock = sql`select pg_advisory_xact_lock(7361029)`;

/** The gate's first check (gate.ts), and reconciliation's: the reason nothing may execute for this proposal, or undefined. */
export function shadowHold(deps: Pick<ServiceDeps, 'policy'>, p: Pick<ProposalRow, 'mode'>): string | undefined {
  return shadowReason(deps.policy.mode, p.mode);
}

/**
 * The gate's shadow refusal of an approved proposal, in the claiming transaction (the row is
 * locked): what it would have done is recorded once (result, audit, a card refresh), and it stays
 * approved.
 */
export async function holdInShadow(tx: Executor, deps: ServiceDeps, row: ProposalRow, now: Date, wouldExecute: Record<string, unknown>, reason: string): Promise<void> {
  if (row.result?.shadow === true) return;
  await tx
    .update(proposals)
    .set({ result: { shadow: true, would_execute: wouldExecute, reason, held_at: now.toISOString() }, updatedAt: now })
    .where(eq(proposals.id, row.id));
  await appendAudit(tx, { kind: 'execution.skipped', actor: AGENT, incidentId: row.incidentId, proposalId: row.id, payload: { reason, operation: 'execute', would_execute: wouldExecute } });
  await enqueueNotification(tx, deps, 'execution.finished', { incidentId: row.incidentId, proposalId: row.id }, { operation: 'execute', ok: false, shadow: true });
  deps.logger.info({ proposal_id: row.id, incident_id: row.incidentId }, 'shadow: approved, not executed');
}

/**
 * At start: compares the configured mode with the last one the audit trail recorded (none: live,
 * the mode that existed first) and records a switch. Replicas starting together record it once:
 * the check runs under a transaction-scoped advisory lock.
 */
export async function recordModeChange(deps: Pick<ServiceDeps, 'db' | 'policy' | 'logger'>): Promise<AgentMode | undefined> {
  return deps.db.transaction(async (tx) => {
    await tx.execute(sqlLock);
    const [last] = await tx.select({ payload: sreActions.payload }).from(sreActions).where(eq(sreActions.kind, 'mode.changed')).orderBy(desc(sreActions.seq)).limit(1);
    const from: AgentMode = last?.payload.to === 'shadow' ? 'shadow' : 'live';
    const to = deps.policy.mode;
    if (from === to) return undefined;
    await appendAudit(tx, { kind: 'mode.changed', actor: { type: 'system', name: 'agent' }, payload: { from, to } });
    deps.logger.warn({ from, to }, `mode changed from ${from} to ${to}`);
    return from;
  });
}
