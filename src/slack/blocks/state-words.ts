import type { ProposalView } from '../../domain/proposal-view.js';
import { actionDone, actionInWords, pageOutcome, pages, person, reasonInWords, resultInWords, riskInWords, timeLeft } from '../../domain/words.js';
import { safe } from './escape.js';

/**
 * Where a proposal stands, in words for Slack mrkdwn: shared by the incident's root message and
 * the card. People are mentions; every other piece of text is escaped here.
 */

export interface PolicyWords {
  riskThreshold: number;
  autoApprove: boolean;
}

/** A person as Slack renders them: a mention for a Slack user, an escaped name otherwise. */
export function who(label: string | null | undefined): string {
  const p = person(label);
  return p.isMention ? p.text : safe(p.text, 200);
}

/** Whether the proposal ran without a person: by policy, or a page sent at once (read defensively). */
export function ranWithoutApproval(p: Pick<ProposalView, 'route' | 'decided_via' | 'decided_by'> & { mode?: string }): boolean {
  return p.route === 'auto' || p.decided_via === 'policy' || p.decided_via === 'auto' || p.decided_by === 'system:policy' || p.decided_by === 'auto';
}

/** "approved by <@U1>" / "approved by <@U1> and <@U2>" / "without approval, by policy". */
export function approvedBy(p: ProposalView): string {
  if (ranWithoutApproval(p)) return pages(p.action) ? 'without approval' : 'without approval, by policy';
  const names = p.approvals.length > 1 ? p.approvals.map((a) => who(a.by)) : [who(p.decided_by)];
  return `approved by ${names.join(' and ')}`;
}

export const actionText = (p: Pick<ProposalView, 'action' | 'params'>) => safe(actionInWords(p.action, p.params), 300);

/** True when a page went nowhere (the log-only pager). */
export const notPaged = (p: Pick<ProposalView, 'action' | 'result' | 'status'>) => pages(p.action) && p.status === 'succeeded' && !pageOutcome(p.result).paged;

/** The verification in words; a revert's check is worded as the revert's. */
export function verificationWords(p: Pick<ProposalView, 'verification' | 'reverted_at'>): string | undefined {
  const v = p.verification;
  const why = v.reason ? `: ${safe(reasonInWords(v.reason), 400)}` : '';
  switch (v.status) {
    case 'pending':
      return `checking whether it helped${why}`;
    case 'passed':
      return `verified, it helped${why}`;
    case 'failed':
      return `verification failed, it did not help${why}`;
    case 'reverted':
      return `reverted after the check${why}`;
    default:
      return undefined;
  }
}

/** One line for the root: what was proposed or done, by whom, and how it stands. */
export function stateLine(p: ProposalView, now: Date, policy?: PolicyWords): string {
  const shadow = p.mode === 'shadow' ? ':ghost: Shadow · ' : '';
  const what = actionText(p);
  const risk = `risk ${riskInWords(p.risk_score, policy)}`;
  switch (p.status) {
    case 'pending': {
      const progress = p.approvals.length > 0 && p.approvals_required > 1 ? ` · ${p.approvals.length} of ${p.approvals_required} approvals (${p.approvals.map((a) => who(a.by)).join(', ')})` : '';
      return `${shadow}:hourglass_flowing_sand: *Proposed:* ${what} · ${risk} · ${timeLeft(p.expires_at, now)} to decide${progress}`;
    }
    case 'approved':
      return p.mode === 'shadow' ? `${shadow}*Would approve:* ${what} (${approvedBy(p)}); nothing was executed` : `:white_check_mark: *Approved:* ${what} (${approvedBy(p)})`;
    case 'executing':
      return `:gear: *Executing:* ${what} (${approvedBy(p)})`;
    case 'succeeded':
      return succeededLine(p);
    case 'failed':
      return `:x: *Failed:* ${what} (${approvedBy(p)}). ${safe(resultInWords(p.action, p.params, p.status, p.result), 400)}`;
    case 'rejected':
      return `${shadow}:no_entry: *${p.mode === 'shadow' ? 'Would reject' : 'Rejected'}:* ${what}, by ${who(p.decided_by)}${p.decision_reason ? `: “${safe(p.decision_reason, 300)}”` : ''}`;
    case 'expired':
      return `:alarm_clock: *Expired without a decision:* ${what}; no action taken`;
    case 'superseded':
      return `:arrows_counterclockwise: *Replaced* by a newer proposal: ${what}`;
    case 'stale':
      return `:warning: *Not executed:* ${what}. ${safe(reasonInWords(p.stale_reason ?? 'the situation changed before it could run'), 400)}`;
    default:
      return `${what}: ${safe(p.status, 40)}`;
  }
}

function succeededLine(p: ProposalView): string {
  const done = safe(actionDone(p.action, p.params), 300);
  if (notPaged(p)) return `:warning: *Not paged:* ${safe(pageOutcome(p.result).why ?? 'PagerDuty is not configured', 200)} (${approvedBy(p).replace('without approval', 'sent without approval')})`;
  if (pages(p.action)) return `:rotating_light: *${ranWithoutApproval(p) ? 'Paged without approval' : 'Paged on-call'}*${ranWithoutApproval(p) ? '' : ` (${approvedBy(p)})`}`;
  if (p.reverted_at) return `:leftwards_arrow_with_hook: *Reverted* by ${who(p.reverted_by)}: ${done} and then undid it`;
  const check = verificationWords(p);
  return `:white_check_mark: *Executed:* ${done} (${approvedBy(p)})${check ? ` · ${check}` : ''}`;
}
