import { appendAudit } from '../audit/append.js';
import { actorChannel, type Actor } from '../domain/proposal.js';
import { withTransaction } from './context.js';
import { getProposal } from './queries.js';
import type { ServiceDeps } from './types.js';

/** Records a refused attempt to decide (not an approver, another workspace, a failed look-up). */
export async function recordDenied(deps: ServiceDeps, input: { proposalId: string; actor: Actor; reason: string }): Promise<void> {
  const p = await getProposal(deps, input.proposalId);
  deps.metrics?.decisions.inc({ channel: actorChannel(input.actor), decision: 'denied' });
  await withTransaction(deps, (tx) =>
    appendAudit(tx, {
      kind: 'decision.denied',
      actor: input.actor,
      incidentId: p?.incident_id ?? null,
      proposalId: p ? input.proposalId : null,
      payload: { reason: input.reason, proposal_ref: input.proposalId.slice(0, 100) },
    }),
  );
}
