import { inIncidentTrace } from './trace.js';
import { z } from 'zod';
import { appendAudit } from '../audit/append.js';
import { DomainError } from '../domain/errors.js';
import { actorChannel, actorName, DECISIONS, type Actor } from '../domain/proposal.js';
import { enqueueNotification } from '../jobs/index.js';
import { approverIdentity, authorizeApproval, recordApproval, sameApprover, unknownPerson, type ApprovalStep } from './approvals.js';
import { withTransaction } from './context.js';
import { executeApproved } from './execute.js';
import { writeExecuteJob } from './schedule.js';
import { approvalReads, refuseWhilePaused, refuseWhileSilenced, type Known } from './gate.js';
import { recheckProposal } from './recheck.js';
import { getProposal } from './queries.js';
import { transitionOne } from './transition.js';
import type { ProposalView, ServiceDeps } from './types.js';

export const DecideInput = z.object({
  proposalId: z.string().trim().min(1).max(100),
  decision: z.enum(DECISIONS),
  reason: z.string().trim().max(2000).optional(),
});
export type DecideInput = z.infer<typeof DecideInput>;

/**
 * Approves or rejects a pending proposal exactly once: one conditional UPDATE decides the winner;
 * every loser gets "already decided by …" and is audited. An approval writes its execute job in the
 * same transaction, so a crash after the commit still executes it once; the request then runs it.
 * Joined to a caller's transaction, the execution waits for the caller's commit (its job is there).
 */
export async function decide(deps: ServiceDeps, raw: DecideInput & { actor: Actor }): Promise<ProposalView> {
  const parsed = DecideInput.safeParse(raw);
  if (!parsed.success) throw new DomainError('invalid', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { proposalId, decision } = parsed.data;
  // The decision is a span of the incident's trace, whichever channel it came from.
  const attributes = { 'sre.proposal.id': proposalId, 'sre.decision': decision, 'sre.decision.channel': actorChannel(raw.actor), 'sre.decision.actor': actorName(raw.actor) };
  return inIncidentTrace(deps, { proposalId }, `sre.decide ${decision}`, attributes, () => decideIn(deps, parsed.data, raw.actor));
}

async function decideIn(deps: ServiceDeps, input: DecideInput, actor: Actor): Promise<ProposalView> {
  const { proposalId, decision, reason } = input;
  const now = deps.clock.now();
  const status = decision === 'approve' ? 'approved' : 'rejected';
  // The switch and the proposal, read once for the pre-checks below (an approval only).
  const known = decision === 'approve' ? await approvalReads(deps, proposalId) : undefined;
  if (known) {
    await refuseWhilePaused(deps, proposalId, actor, known);
    await refuseWhileSilenced(deps, proposalId, actor, known);
    // Approver rules (SRE_APPROVER_RULES) bind every channel here; rejecting stays open to all.
    await authorizeApproval(deps, { proposalId, actor, verb: 'approve', ...(known.proposal ? { action: known.proposal.action } : {}) });
  }
  const recheck = earlyRecheck(deps, known?.proposal);
  // Who the approver is across channels (SRE_PEOPLE; a Slack user's email), looked up outside the transaction.
  const identity = decision === 'approve' ? await approverIdentity(deps, actor) : undefined;

  let approval = undefined as ApprovalStep | undefined;
  const won = await withTransaction(deps, async (tx) => {
    if (decision === 'approve') {
      approval = await recordApproval(tx, deps, { proposalId, actor, now, ...(identity ? { identity } : {}) });
      if (approval.step !== 'complete') return undefined;
    }
    const p = await transitionOne(tx, proposalId, 'pending', status, { decidedBy: actorName(actor), decidedVia: actorChannel(actor), decidedAt: now, decisionReason: reason ?? null, updatedAt: now });
    if (!p) return undefined;
    if (decision === 'approve') await writeExecuteJob(deps, tx, proposalId, now);
    await appendAudit(tx, {
      kind: decision === 'approve' ? 'proposal.approved' : 'proposal.rejected',
      actor,
      incidentId: p.incidentId,
      proposalId,
      payload: { channel: actorChannel(actor), reason: reason ?? null, risk_score: p.riskScore, ...(approval?.step === 'complete' ? { approvals: approval.approvals } : {}) },
    });
    await enqueueNotification(tx, deps, 'proposal.decided', { incidentId: p.incidentId, proposalId }, { decision });
    return p;
  });

  if (approval?.step === 'same_approver') throw sameApprover(proposalId, approval);
  if (approval?.step === 'unknown_person') throw unknownPerson(proposalId, approval);
  if (approval?.step === 'partial') {
    deps.logger.info({ proposal_id: proposalId, by: actorName(actor), approvals: approval.approvals.length, required: approval.required }, 'approval recorded; waiting for another person');
    deps.metrics?.decisions.inc({ channel: actorChannel(actor), decision: 'approve_partial' });
    deps.poke?.();
    return (await getProposal(deps, proposalId))!;
  }
  if (!won) {
    deps.metrics?.decisions.inc({ channel: actorChannel(actor), decision: 'duplicate' });
    const current = await getProposal(deps, proposalId);
    if (!current) throw new DomainError('not_found', `proposal ${proposalId} not found`);
    await withTransaction(deps, (tx) =>
      appendAudit(tx, {
        kind: 'decision.duplicate',
        actor,
        incidentId: current.incident_id,
        proposalId,
        payload: { attempted: decision, status: current.status, decided_by: current.decided_by },
      }),
    );
    throw alreadyDecided(current);
  }
  deps.logger.info({ proposal_id: proposalId, incident_id: won.incidentId, decision, by: actorName(actor) }, 'proposal decided');
  deps.metrics?.decisions.inc({ channel: actorChannel(actor), decision });
  deps.metrics?.proposalsTransitions.inc({ action: won.action, status });
  if (decision === 'approve' && !deps.tx) {
    try {
      return await executeApproved(deps, { proposalId, recheck });
    } finally {
      deps.poke?.();
    }
  }
  deps.poke?.();
  return (await getProposal(deps, proposalId))!;
}

/**
 * The re-check of an approval that one person completes, started now: its gateway reads and second
 * score run beside the identity look-up and the decision's transaction instead of after them. It
 * still reads the gateway fresh for this approval; an approval that waits for a second person (or
 * loses the race) leaves it unused, and a failed one is made again by execute.
 */
function earlyRecheck(deps: ServiceDeps, p: Known['proposal']) {
  if (!p || p.status !== 'pending' || p.approvalsRequired > 1 || deps.tx) return undefined;
  return recheckProposal(deps, p).catch(() => undefined);
}

export function alreadyDecided(p: ProposalView): DomainError {
  const by = p.decided_by ?? (p.status === 'expired' ? 'expiry (no action taken)' : p.status === 'superseded' ? `a newer proposal (${p.superseded_by ?? '?'})` : 'nobody');
  const at = p.decided_at ?? p.created_at;
  const what = p.status === 'superseded' ? 'superseded' : p.status === 'expired' ? 'expired' : `already decided by ${by} at ${at}`;
  return new DomainError('already_decided', `Proposal ${p.id} was ${what} (status: ${p.status}).`, {
    decided_by: p.decided_by,
    decided_at: p.decided_at,
    status: p.status,
  });
}
