import { ruleFor, type ApproverRules } from './approver-rules.js';
import type { Actor } from './proposal.js';

/**
 * The two-person rule. An approval counts once per person: the key is stable per person per
 * channel (a Slack user id, an operator name shared by the API, console and CLI, an email address),
 * never a display name, which Slack lets people change.
 */

export function approvalsRequired(riskScore: number, twoPersonScore: number): 1 | 2 {
  return riskScore >= twoPersonScore ? 2 : 1;
}

export function approverKey(actor: Actor): string {
  switch (actor.type) {
    case 'slack':
      return `slack:${actor.userId}`;
    case 'user':
      return `operator:${actor.name}`;
    case 'email':
      return `email:${actor.recipient.toLowerCase()}`;
    case 'system':
      return `system:${actor.name}`;
  }
}

/** "1 of 2: alice": where the approvals of a proposal stand, for cards, pages and mails. */
export function approvalProgress(p: { approvals: readonly { by: string }[]; approvals_required: number; status: string }): string | undefined {
  if (p.approvals_required < 2 || p.status !== 'pending' || p.approvals.length === 0) return undefined;
  return `${p.approvals.length} of ${p.approvals_required}: ${p.approvals.map((a) => a.by).join(', ')}`;
}



/**
 * Why auto-approval may not apply although the score allows it: the two-person rule, or an
 * approver rule naming who must approve this action. Undefined: the routing policy decides.
 */
export function humanRequired(action: string, riskScore: number, policy: { twoPersonScore: number; approverRules?: ApproverRules }): string | undefined {
  if (approvalsRequired(riskScore, policy.twoPersonScore) > 1) return `risk ${riskScore} ≥ ${policy.twoPersonScore} (SRE_TWO_PERSON_SCORE): two people approve`;
  if (ruleFor(policy.approverRules, action)) return `${action} has an approver rule (SRE_APPROVER_RULES): a named approver decides`;
  return undefined;
}
