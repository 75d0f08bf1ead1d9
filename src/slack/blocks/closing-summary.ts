import type { KnownBlock } from '@slack/types';
import type { ProposalView } from '../../domain/proposal-view.js';
import { actionDone, actionInWords, duration, pages, pageOutcome, person } from '../../domain/words.js';
import { LIMITS, link, safe, slackDate, truncate } from './escape.js';
import { incidentHeadline, type IncidentSummaryInput } from './incident-summary.js';
import type { SlackMessage } from './message.js';
import { approvedBy, ranWithoutApproval, who } from './state-words.js';

/** What the closing reply reads: the incident, its proposals, the silence holding it at close, the report's figures. */
export interface ClosingInput {
  incident: IncidentSummaryInput;
  /** The incident's proposals, newest first. */
  proposals: readonly ProposalView[];
  /** The silence that still held the incident when it closed; null when none did. */
  silence: { until: string; by: string; reason: string } | null;
  /** From detection (the incident.opened row) to the decisive change's execution and verification, null where it never came. */
  durations: { to_execution_ms: number | null; to_verification_ms: number | null };
  /** Where the incident report reads (the console's Report page). */
  reportUrl: string;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** The change that was made and stayed in force, else the last that ran and was undone, else undefined. */
export function decisive(proposals: readonly ProposalView[]): ProposalView | undefined {
  const ran = proposals.filter((p) => p.status === 'succeeded' && p.mode === 'live' && !pages(p.action));
  return ran.find((p) => !p.reverted_at) ?? ran[0];
}

/** Whether the change held: verified, reverted (by whom), failed its check, or closed before any check. */
function heldWords(p: ProposalView): string {
  if (p.reverted_at) return `reverted by ${p.reverted_by ? who(p.reverted_by) : 'the agent'}`;
  switch (p.verification.status) {
    case 'passed':
      return 'verified, it held';
    case 'failed':
      return 'verification failed, it did not help';
    case 'reverted':
      return 'reverted after the check';
    default:
      return 'closed before it was verified';
  }
}

/** Who decided, in the words of the card ("approved by @alice", "without approval, by policy"). */
const byWhom = (p: ProposalView) => (ranWithoutApproval(p) || p.decided_by ? approvedBy(p) : 'by the agent');

/** When nothing ran: what became of the proposals (rejected, expired, failed, paged), or that none came. */
function nothingDone(proposals: readonly ProposalView[]): string {
  const page = proposals.find((p) => pages(p.action) && p.status === 'succeeded' && p.mode === 'live');
  if (page) return pageOutcome(page.result).paged ? `On-call was paged (${byWhom(page)}); no change was made.` : 'No change was made; on-call was not paged (PagerDuty is not configured).';
  const last = proposals.find((p) => p.status !== 'superseded');
  if (!last) return 'No action was proposed; it went quiet by itself.';
  const what = safe(lower(actionInWords(last.action, last.params)), 300);
  switch (last.status) {
    case 'rejected':
      return `Nothing was done: ${who(last.decided_by)} rejected "${what}".`;
    case 'expired':
      return `Nothing was done: "${what}" expired without a decision.`;
    case 'pending':
    case 'approved':
      return `Nothing was done: "${what}" was still waiting for ${last.status === 'pending' ? 'a decision' : 'its execution'}.`;
    case 'failed':
      return `Tried to ${what}; it failed and nothing was changed.`;
    case 'stale':
      return `Nothing was done: "${what}" no longer fitted the gateway when it was decided.`;
    default:
      return last.mode === 'shadow' ? `Shadow mode: nothing was changed (it would have been: ${what}).` : `Nothing was done ("${what}" was not executed).`;
  }
}

/**
 * The one reply posted in the incident's thread when it closes: what broke, what was done and by
 * whom, whether it held, how long from detection to the fix, and the report's link — a few lines
 * a phone reads at a glance. Pure; every time shown is a Slack date token.
 */
export function buildClosingSummary(input: ClosingInput): SlackMessage {
  const i = input.incident;
  const head = incidentHeadline(i);
  const lines: string[] = [];
  let fallback: string;
  const p = decisive(input.proposals);
  const silenced = input.silence ? `Silenced until ${slackDate(input.silence.until)} by ${safe(person(input.silence.by, { mention: false }).text, 200)}: ${safe(input.silence.reason, 300)}.` : undefined;
  if (silenced && !p) {
    lines.push(`:mute: *Closed* · ${safe(head.words, 600)}`);
    lines.push(`${silenced} Nothing was done.`);
    fallback = `Closed: ${head.words} — silenced, nothing was done`;
  } else if (p) {
    const fixMs = p.verification.status === 'passed' && !p.reverted_at ? (input.durations.to_verification_ms ?? input.durations.to_execution_ms) : input.durations.to_execution_ms;
    lines.push(`${p.reverted_at ? ':white_circle:' : ':large_green_circle:'} *Closed* · ${safe(head.words, 600)}`);
    lines.push(`${safe(actionDone(p.action, p.params), 300)}, ${byWhom(p)}; ${heldWords(p)}.`);
    if (fixMs !== null) lines.push(`Detected ${slackDate(i.first_seen)}; ${p.reverted_at ? 'acted on' : 'fixed'} ${duration(fixMs)} later.`);
    // A silence that began after the change: it held what came next, not the change.
    if (silenced) lines.push(`${silenced} Nothing more was done.`);
    fallback = `Closed: ${head.words} — ${actionDone(p.action, p.params)}; ${p.reverted_at ? 'reverted' : p.verification.status === 'passed' ? 'verified' : 'not verified'}`;
  } else {
    lines.push(`:white_circle: *Closed* · ${safe(head.words, 600)}`);
    lines.push(nothingDone(input.proposals));
    fallback = `Closed: ${head.words} — no change was made`;
  }
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(lines.join('\n'), LIMITS.sectionText) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`${link(input.reportUrl, 'Incident report')} · every line cites its audit row`, LIMITS.contextText) }] },
  ];
  return { text: truncate(safe(cap(fallback), LIMITS.fallbackText), LIMITS.fallbackText), blocks };
}
