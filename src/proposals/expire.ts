import { and, eq, lte } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { enqueueNotification } from '../jobs/index.js';
import { withTransaction } from './context.js';
import { transition } from './transition.js';
import type { ServiceDeps } from './types.js';

const { proposals } = schema;

/** A proposal pending past its TTL expires: "no action taken". Once, by a conditional UPDATE. */
export async function expire(deps: ServiceDeps, input: { proposalId: string }): Promise<boolean> {
  const { proposalId } = input;
  const now = deps.clock.now();
  return withTransaction(deps, async (tx) => {
    const [p] = await transition(tx, { where: and(eq(proposals.id, proposalId), lte(proposals.expiresAt, now))! }, 'pending', 'expired', {
      decidedAt: now,
      decidedBy: 'system:scheduler',
      decidedVia: 'expiry',
      decisionReason: 'no action taken: nobody decided before the proposal expired',
      updatedAt: now,
    });
    if (!p) return false;
    deps.metrics?.proposalsTransitions.inc({ action: p.action, status: 'expired' });
    await appendAudit(tx, { kind: 'proposal.expired', actor: { type: 'system', name: 'scheduler' }, incidentId: p.incidentId, proposalId, payload: { expires_at: p.expiresAt.toISOString(), outcome: 'no action taken' } });
    await enqueueNotification(tx, deps, 'proposal.expired', { incidentId: p.incidentId, proposalId });
    return true;
  });
}
