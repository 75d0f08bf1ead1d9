import { isDomainError, type DomainError } from '../domain/errors.js';
import { joined, reader, withTransaction } from './context.js';
import { decide } from './decide.js';
import { consumeDecisionLink, lookupDecisionLink, releaseDecisionLink, type DecisionLink, type LinkLookup } from './decision-links.js';
import { executeApproved } from './execute.js';
import { getProposal } from './queries.js';
import type { ProposalView, ServiceDeps } from './types.js';

export type LinkRefusal = Extract<LinkLookup, { ok: false }>['reason'];

/** What an email link leads to before anyone presses its button (GET and HEAD change nothing). */
export type LinkView =
  | { outcome: 'refused'; reason: LinkRefusal }
  | { outcome: 'missing' }
  | { outcome: 'not_pending'; proposal: ProposalView }
  | { outcome: 'open'; link: DecisionLink; proposal: ProposalView };

export type LinkDecision =
  | Exclude<LinkView, { outcome: 'open' }>
  | { outcome: 'mismatch' }
  | { outcome: 'decided'; link: DecisionLink; proposal: ProposalView }
  /** The agent refused the decision (paused, stale, not allowed…): the link is given back when it can work later. */
  | { outcome: 'refused_by_agent'; link: DecisionLink; error: DomainError; linkReleased: boolean };

export async function readDecisionLink(deps: ServiceDeps, input: { linkSecret: string; token: string }): Promise<LinkView> {
  const found = await lookupDecisionLink(reader(deps), input.linkSecret, input.token, deps.clock.now());
  if (!found.ok) return { outcome: 'refused', reason: found.reason };
  const proposal = await getProposal(deps, found.link.proposalId);
  if (!proposal) return { outcome: 'missing' };
  if (proposal.status !== 'pending') return { outcome: 'not_pending', proposal };
  return { outcome: 'open', link: found.link, proposal };
}

/**
 * Decides through an email link in one transaction: the single-use token is consumed with the
 * decision or not at all, so a failed decision never uses the link up. A refusal that passes (the
 * kill switch) gives the link back in that same transaction; the refusal's audit row commits.
 */
export async function decideByLink(deps: ServiceDeps, input: { linkSecret: string; token: string; proposalId: string; /** As the form sent it: must be the link's own. */ decision: string; reason?: string | undefined }): Promise<LinkDecision> {
  const now = deps.clock.now();
  const r = await withTransaction(deps, async (tx): Promise<LinkDecision> => {
    const inTx = joined(deps, tx);
    const seen = await readDecisionLink(inTx, input);
    if (seen.outcome !== 'open') return seen;
    if (input.proposalId !== seen.link.proposalId || input.decision !== seen.link.decision) return { outcome: 'mismatch' };
    const link = await consumeDecisionLink(tx, seen.link.tokenHash, now);
    if (!link) return { outcome: 'refused', reason: 'used' };
    try {
      const proposal = await decide(inTx, { proposalId: link.proposalId, decision: link.decision, reason: input.reason, actor: { type: 'email', recipient: link.recipient } });
      return { outcome: 'decided', link, proposal };
    } catch (e) {
      if (!isDomainError(e)) throw e;
      if (e.code === 'already_decided') {
        const proposal = await getProposal(inTx, link.proposalId);
        if (proposal) return { outcome: 'not_pending', proposal };
      }
      const release = e.code === 'paused';
      if (release) await releaseDecisionLink(tx, link);
      return { outcome: 'refused_by_agent', link, error: e, linkReleased: release };
    }
  });
  if (r.outcome !== 'decided' || r.proposal.status !== 'approved') return r;
  try {
    return { ...r, proposal: await executeApproved(deps, { proposalId: r.proposal.id }) };
  } catch (e) {
    if (!isDomainError(e)) throw e;
    // Paused between the decision and its execution: the proposal waits again, and so does the link.
    const release = e.code === 'paused';
    if (release) await withTransaction(deps, (tx) => releaseDecisionLink(tx, r.link));
    return { outcome: 'refused_by_agent', link: r.link, error: e, linkReleased: release };
  }
}

