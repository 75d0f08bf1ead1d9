import { and, eq, isNull } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import type { Actor } from '../domain/proposal.js';
import { enqueueNotification } from '../jobs/index.js';
import { withTransaction } from './context.js';
import type { ServiceDeps } from './types.js';

const { proposals } = schema;
const SCHEDULER: Actor = { type: 'system', name: 'scheduler' };

export interface EscalateResult {
  escalated: boolean;
  /** Why nothing happened: the proposal moved on, was escalated before, or does not exist. */
  reason?: 'not_pending' | 'already_escalated' | 'not_found';
}

/**
 * Escalates a proposal still pending after SRE_ESCALATE_AFTER: one conditional UPDATE, so a timer
 * fired twice (retry, two replicas) escalates once; audit and re-notification commit with it.
 */
export async function escalate(deps: ServiceDeps, input: { proposalId: string }): Promise<EscalateResult> {
  const { proposalId } = input;
  const now = deps.clock.now();
  const result = await withTransaction(deps, async (tx): Promise<EscalateResult> => {
    const [row] = await tx
      .update(proposals)
      .set({ escalatedAt: now, updatedAt: now })
      .where(and(eq(proposals.id, proposalId), eq(proposals.status, 'pending'), isNull(proposals.escalatedAt)))
      .returning({ id: proposals.id, incidentId: proposals.incidentId, createdAt: proposals.createdAt, riskScore: proposals.riskScore });
    if (!row) {
      const [p] = await tx.select({ status: proposals.status, escalatedAt: proposals.escalatedAt }).from(proposals).where(eq(proposals.id, proposalId)).limit(1);
      if (!p) return { escalated: false, reason: 'not_found' };
      return { escalated: false, reason: p.status !== 'pending' ? 'not_pending' : 'already_escalated' };
    }
    const pendingMs = now.getTime() - row.createdAt.getTime();
    await appendAudit(tx, {
      kind: 'proposal.escalated',
      actor: SCHEDULER,
      incidentId: row.incidentId,
      proposalId: row.id,
      payload: { pending_ms: pendingMs, escalate_after_ms: deps.lifecycle.escalateAfterMs, risk_score: row.riskScore, channels: [...deps.channels] },
    });
    await enqueueNotification(tx, deps, 'proposal.escalated', { incidentId: row.incidentId, proposalId: row.id }, { pending_ms: pendingMs });
    return { escalated: true };
  });
  if (result.escalated) {
    deps.logger.info({ proposal_id: proposalId }, 'proposal escalated');
    deps.poke?.();
  }
  return result;
}
