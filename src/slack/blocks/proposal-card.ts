import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { ACTION_IDS, specFor, type ActionId } from '../../domain/actions.js';
import type { ProposalView } from '../../domain/proposal-view.js';
import { actionInWords, pageOutcome, pages, reasonInWords, resultInWords, riskInWords, timeLeft, topFactors, undoInWords } from '../../domain/words.js';
import { formatAge, LIMITS, link, plain, safe, slackDate, truncate } from './escape.js';
import { ACTION_APPROVE, ACTION_REASONING, ACTION_REJECT, ACTION_REVERT } from './ids.js';
import { incidentHeadline } from './incident-summary.js';
import type { SlackMessage } from './message.js';
import { actionText, approvedBy, notPaged, ranWithoutApproval, verificationWords, who, type PolicyWords } from './state-words.js';

export function actionSpec(action: string) {
  return (ACTION_IDS as readonly string[]).includes(action) ? specFor(action as ActionId) : undefined;
}

export function isAutoExecuted(p: Pick<ProposalView, 'route'>): boolean {
  return p.route === 'auto';
}

export function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  const b: Button = { type: 'button', text: { type: 'plain_text', text: plain(text, LIMITS.buttonText) }, action_id: actionId, value: value.slice(0, LIMITS.buttonValue) };
  if (style) b.style = style;
  return b;
}

export const isShadow = (p: Pick<ProposalView, 'mode'>): boolean => p.mode === 'shadow';

/** Approve and reject for one proposal ("Would approve" in shadow); the block id keeps several apart in one message. */
export function decisionButtons(p: Pick<ProposalView, 'id' | 'mode'>): ActionsBlock {
  const [yes, no] = isShadow(p) ? ['Would approve', 'Would reject…'] : ['Approve', 'Reject…'];
  return {
    type: 'actions',
    block_id: `decide:${p.id}`.slice(0, 255),
    elements: [button(yes, ACTION_APPROVE, p.id, 'primary'), button(no, ACTION_REJECT, p.id, 'danger')],
  };
}

export function revertButton(p: Pick<ProposalView, 'id' | 'action' | 'params'>): ActionsBlock {
  const b = button('Revert', ACTION_REVERT, p.id);
  b.confirm = {
    title: { type: 'plain_text', text: 'Revert this action?' },
    text: { type: 'mrkdwn', text: truncate(`This undoes: ${actionText(p)}.`, 300) },
    confirm: { type: 'plain_text', text: 'Revert' },
    deny: { type: 'plain_text', text: 'Cancel' },
  };
  return { type: 'actions', block_id: `revert:${p.id}`.slice(0, 255), elements: [b] };
}

/** The header: what Approve does, and for a settled proposal how it ended. */
export function cardHeader(p: ProposalView): string {
  const words = actionInWords(p.action, p.params);
  const shadow = isShadow(p) ? '[Shadow] ' : '';
  const ended: Record<string, string> = { failed: 'Failed', rejected: isShadow(p) ? 'Would reject' : 'Rejected', expired: 'Expired', superseded: 'Replaced', stale: 'Not executed' };
  if (p.status === 'succeeded' && p.reverted_at) return `${shadow}Reverted: ${words}`;
  if (p.status === 'succeeded' && notPaged(p)) return `${shadow}Not paged: ${pageOutcome(p.result).why ?? 'PagerDuty is not configured'}`;
  if (p.status === 'succeeded') return `${shadow}Done: ${words}`;
  if (ended[p.status]) return `${shadow}${ended[p.status]}: ${words}`;
  if (isShadow(p) && p.status === 'approved') return `${shadow}Would approve: ${words}`;
  return `${shadow}${words}`;
}

/** Where it stands, who moved it, when: the card's status lines (escaped mrkdwn). */
export function statusLines(p: ProposalView, now: Date, refusal?: string): string[] {
  const lines: string[] = [];
  const at = (iso: string | null) => (iso ? ` at ${slackDate(iso)}` : '');
  const auto = ranWithoutApproval(p);
  if (refusal) lines.push(`:no_entry_sign: *Approval refused:* ${safe(refusal, 500)}`);
  switch (p.status) {
    case 'pending': {
      const left = `:hourglass_flowing_sand: *Waiting for a decision* · ${timeLeft(p.expires_at, now)} (expires ${slackDate(p.expires_at)})`;
      lines.push(p.escalated_at ? `${left} · on-call was asked${at(p.escalated_at)}` : left);
      if (p.approvals.length > 0 && p.approvals_required > 1) lines.push(`:ballot_box_with_check: *${p.approvals.length} of ${p.approvals_required} approvals* (${p.approvals.map((a) => who(a.by)).join(', ')}) — a second person must approve before it executes`);
      else if (p.approvals_required > 1) lines.push(`:busts_in_silhouette: Needs approvals from ${p.approvals_required} different people (two-person rule)`);
      break;
    }
    case 'approved':
      lines.push(isShadow(p) ? `:ghost: *Would approve* — ${approvedBy(p)}${at(p.decided_at)}; shadow mode, nothing was executed` : `:white_check_mark: *Approved* — ${approvedBy(p)}${at(p.decided_at)}`);
      break;
    case 'executing':
      lines.push(`:gear: *Executing* — ${approvedBy(p)}${at(p.decided_at)}`);
      break;
    case 'succeeded':
      lines.push(succeededLine(p, auto, at));
      if (p.reverted_at) lines.push(`:leftwards_arrow_with_hook: *Reverted* by ${who(p.reverted_by)}${at(p.reverted_at)}`);
      break;
    case 'failed':
      lines.push(`:x: *Failed* — ${approvedBy(p)}${at(p.decided_at)}`);
      break;
    case 'rejected':
      lines.push(`${isShadow(p) ? ':ghost: *Would reject*' : ':no_entry: *Rejected*'} by ${who(p.decided_by)}${at(p.decided_at)}${p.decision_reason ? `\n> ${safe(p.decision_reason, 600)}` : ''}`);
      break;
    case 'expired':
      lines.push(`:alarm_clock: *Expired*${at(p.decided_at ?? p.expires_at)} with no decision — no action taken`);
      break;
    case 'superseded':
      lines.push(':arrows_counterclockwise: *Replaced by a newer proposal* — see the newer card below');
      break;
    case 'stale':
      lines.push(`${p.decided_by ? `Approved by ${who(p.decided_by)}, but ` : ''}:warning: *not executed:* ${safe(reasonInWords(p.stale_reason ?? 'the situation no longer matched the proposal'), 600)}. A fresh proposal follows while the incident is open.`);
      break;
    default:
      lines.push(`Status: ${safe(p.status, 50)}`);
  }
  if (isShadow(p) && !['approved', 'rejected'].includes(p.status)) lines.push(':ghost: *Shadow mode* — the agent proposes and asks, and never executes.');
  return lines;
}

function succeededLine(p: ProposalView, auto: boolean, at: (iso: string | null) => string): string {
  if (pages(p.action)) {
    const o = pageOutcome(p.result);
    if (!o.paged) return `:warning: *Not paged:* ${safe(o.why ?? 'PagerDuty is not configured', 200)} — ${auto ? 'sent without approval' : approvedBy(p)}${at(p.decided_at)}`;
    return auto ? `:rotating_light: *Paged without approval*${at(p.decided_at)}` : `:rotating_light: *On-call paged* — ${approvedBy(p)}${at(p.decided_at)}`;
  }
  return `:white_check_mark: *Executed* — ${approvedBy(p)}${at(p.decided_at)}`;
}

/** While the kill switch is on: who paused, when and why, on every card that could still act. */
export function pausedLine(p: Pick<ProposalView, 'agent_paused'>): string | undefined {
  const s = p.agent_paused;
  if (!s) return undefined;
  return `:octagonal_sign: *The agent is paused* by ${who(s.by)}${s.at ? ` since ${slackDate(s.at)}` : ''}${s.reason ? `: ${safe(s.reason, 300)}` : ''}. Nothing executes until \`/sre resume\`.`;
}

/** The first sentence or two of the reasoning, for the card; the whole is one click away. */
export function reasoningGist(text: string, max = 280): string {
  const t = text.trim().replace(/\s+/g, ' ');
  if (!t) return '(no reasoning given)';
  const ends = [...t.matchAll(/[.!?](?=\s)/g)].map((m) => m.index + 1);
  const cut = ends.find((e, i) => (i >= 1 || e > 80) && e <= max) ?? ends.find((e) => e <= max);
  return cut && cut < t.length ? t.slice(0, cut) : truncate(t, max);
}

export interface ProposalCardOptions {
  /** Show approve/reject (pending) and revert (succeeded, reversible). False for read-only copies. */
  interactive?: boolean;
  /** The moment the card is drawn, for the time left (builders have no clock). */
  now?: Date;
  /** The threshold and auto-approve, so the risk reads against them. */
  policy?: PolicyWords | undefined;
  /** An approval just refused (the reason shown on the card itself). */
  refusal?: string | undefined;
}

/** The incident is over: nothing on its card can be decided or undone from Slack any more. */
const incidentOpen = (p: ProposalView) => p.incident.status === 'open';

function riskSection(p: ProposalView, policy: PolicyWords | undefined): string {
  const factors = topFactors(p.risk_factors).map((f) => `• ${safe(f, 300)}`);
  const spec = actionSpec(p.action);
  return [`*Risk* ${riskInWords(p.risk_score, policy)}`, ...factors, `*Undo:* ${undoInWords(spec?.undo, p.reversible)}`].join('\n');
}

/**
 * What the agent followed and what happened before, in two short lines: the operators' runbook
 * (its file and the first 7 of its SHA-256) and the newest past incident like this one
 * ("Last time (3d 2h ago): circuit-break openai for 120s, approved by alice in Slack, verified").
 */
export function precedentLines(p: Pick<ProposalView, 'runbook' | 'past_incidents'>, now: Date): string[] {
  const lines: string[] = [];
  if (p.runbook) lines.push(`:book: Following runbook *${safe(p.runbook.path, 120)}* (version ${safe(p.runbook.sha256.slice(0, 7), 7)})`);
  const [last, ...older] = p.past_incidents ?? [];
  if (last) lines.push(`:repeat: *Last time* (${formatAge(last.opened_at, now)} ago): ${safe(last.line, 400)}${older.length ? ` · ${older.length} more before` : ''}`);
  return lines;
}

/**
 * The proposal card: what Approve does (the header), the risk against the threshold and the
 * factors that weigh most, the time left, the reasoning in two lines, then who decided and what
 * happened in words. Re-rendered from state on every edit; a closed incident's card has no buttons.
 */
export function buildProposalCard(p: ProposalView, opts: ProposalCardOptions = {}): SlackMessage {
  const interactive = (opts.interactive ?? true) && incidentOpen(p);
  const now = opts.now ?? new Date(Date.parse(p.created_at));
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: plain(cardHeader(p), LIMITS.headerText), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(riskSection(p, opts.policy), LIMITS.sectionText) } },
  ];
  if (isAutoExecuted(p)) {
    const why = isShadow(p) ? 'Would have run without a person' : 'Ran without a person';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${why}: the risk is at or under the threshold and auto-approve is on.` }] });
  }
  const precedent = precedentLines(p, now);
  if (precedent.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(precedent.join('\n'), LIMITS.contextText) }] });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(statusLines(p, now, opts.refusal).join('\n'), LIMITS.sectionText) } });
  const check = p.status === 'succeeded' ? verificationWords(p) : undefined;
  const result = p.result ? resultInWords(p.action, p.params, p.status, p.result) : '';
  const outcome = [result ? `*Result:* ${safe(result, 600)}` : '', check ? `*Check:* ${p.reverted_at && p.verification.status !== 'reverted' ? 'before the revert, ' : ''}${check}` : ''].filter(Boolean);
  if (outcome.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(outcome.join('\n'), LIMITS.sectionText) } });
  const paused = ['pending', 'approved'].includes(p.status) ? pausedLine(p) : undefined;
  if (paused) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(paused, LIMITS.contextText) }] });
  // The whole reasoning is one click away: shown to the clicker alone, or on the console.
  const gist = `:brain: ${safe(reasoningGist(p.reasoning), 700)} ${link(`${p.links.console}#reasoning`, 'Whole reasoning')}`;
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(gist, LIMITS.sectionText) }, accessory: button('Full reasoning', ACTION_REASONING, p.id) });
  if (interactive && p.status === 'pending') blocks.push(decisionButtons(p));
  if (interactive && p.status === 'succeeded' && p.reversible && !p.reverted_at) blocks.push(revertButton(p));
  if (!incidentOpen(p) && ['pending', 'succeeded'].includes(p.status)) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'The incident is closed: nothing here can be decided or reverted from Slack.' }] });
  const by = p.reasoner === 'claude' ? 'Claude' : 'the playbook';
  const meta = [`proposed by ${by}${p.fallback_reason ? ' (fallback)' : ''} ${slackDate(p.created_at)}`, link(p.links.console, 'console')];
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(meta.join(' · '), LIMITS.contextText) }] });
  return { text: truncate(cardText(p, now, opts.policy), LIMITS.fallbackText), blocks };
}

/** What a phone notification shows: what broke, and what is proposed or was done. */
function cardText(p: ProposalView, now: Date, policy: PolicyWords | undefined): string {
  const ended = cardHeader(p).replace(/^\[Shadow\] /, '').split(':')[0]!.toLowerCase();
  const state = p.status === 'pending' ? `proposed, ${timeLeft(p.expires_at, now)}` : `${ended}${ranWithoutApproval(p) && p.status === 'succeeded' ? ' without approval' : ''}`;
  const broke = incidentHeadline(p.incident);
  return safe(`${isShadow(p) ? '[Shadow] ' : ''}${broke.severity}: ${broke.words} — ${actionInWords(p.action, p.params)} — ${state} · risk ${riskInWords(p.risk_score, policy)}`, LIMITS.fallbackText);
}
