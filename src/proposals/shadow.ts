import { desc, eq, sql } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema, type Executor } from '../db/client.js';
import type { AgentMode } from '../domain/policy.js';
import type { Actor } from '../domain/proposal.js';
import { shadowReason } from '../domain/shadow.js';
import { enqueueNotification } from './outbox.js';
import type { ServiceDeps } from './types.js';

const { proposals, sreActions } = schema;
const AGENT: Actor = { type: 'system', name: 'agent' };
type ProposalRow = typeof proposals.$inferSelect;
// Any constant will do: it only has to be the same for every replica.
const sqlLock = sql`select pg_advisory_xact_lock(7361029)`;

/** Shadow as the gate's first check: the reason nothing may execute for this proposal, or undefined. */
export function shadowHold(deps: Pick<ServiceDeps, 'policy'>, p: Pick<ProposalRow, 'mode'>): string | undefined {
  return shadowReason(deps.policy.mode, p.mode);
}

/**
 * At the start of the execution claim: an approved proposal under shadow is not executed; what it
 * would have done is recorded once (result, audit, a card refresh) and it stays approved.
 * Returns true when it held the proposal, false when the normal claim should go on.
 */
export async function holdInShadow(
  tx: Executor,
  deps: ServiceDeps,
  proposalId: string,
  now: Date,
  wouldExecute: (p: ProposalRow) => Record<string, unknown>,
  /** The row, when the caller already holds its lock (execute's claim): one round trip fewer. */
  locked?: ProposalRow,
): Promise<boolean> {
  const [row] = locked ? [locked] : await tx.select().from(proposals).where(eq(proposals.id, proposalId)).for('update');
  if (!row || row.status !== 'approved') return false;
  const reason = shadowHold(deps, row);
  if (!reason) return false;
  if (row.result?.shadow === true) return true;
  const would = wouldExecute(row);
  await tx
    .update(proposals)
    .set({ result: { shadow: true, would_execute: would, reason, held_at: now.toISOString() }, updatedAt: now })
    .where(eq(proposals.id, proposalId));
  await appendAudit(tx, { kind: 'execution.skipped', actor: AGENT, incidentId: row.incidentId, proposalId, payload: { reason, operation: 'execute', would_execute: would } });
  await enqueueNotification(tx, deps.channels, 'execution.finished', { incidentId: row.incidentId, proposalId }, { operation: 'execute', ok: false, shadow: true });
  deps.logger.info({ proposal_id: proposalId, incident_id: row.incidentId }, 'shadow: approved, not executed');
  return true;
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
