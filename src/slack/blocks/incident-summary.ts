import type { KnownBlock } from '@slack/types';
import type { Lateness } from '../../domain/lateness.js';
import type { IncidentFacts, ProposalView } from '../../domain/proposal-view.js';
import { actionInWords, incidentInWords, riskInWords, SEVERITY_ICON, severityOf } from '../../domain/words.js';
import { LIMITS, safe, slackDate, truncate } from './escape.js';
import type { SlackMessage } from './message.js';
import { notPaged, ranWithoutApproval, stateLine, type PolicyWords } from './state-words.js';

/** What the root message of an incident shows; ProposalView['incident'] fits. */
export interface IncidentSummaryInput extends IncidentFacts {
  latest?: Record<string, unknown>;
  /** "silenced until 02:00 by alice: migration" while a silence holds the incident (domain/silences.ts). */
  silenced?: string;
}

export interface IncidentRootInput {
  incident: IncidentSummaryInput;
  /** The incident's proposals, newest first. */
  proposals?: readonly ProposalView[];
  reasoning?: Lateness | undefined;
  now?: Date;
  policy?: PolicyWords | undefined;
}

/** Proposals the root names: the newest three that are not replaced ones. */
const MAX_STATE_LINES = 3;

/** "Critical · openai fails 62 % of gpt-4o requests, about 370 a minute, for 28 min" (unescaped). */
export function incidentHeadline(i: IncidentSummaryInput): { severity: string; icon: string; words: string } {
  const facts = { type: i.type, subject: i.subject, latest: i.latest ?? {}, first_seen: i.first_seen, last_seen: i.last_seen };
  const severity = severityOf(facts);
  return { severity: severity.charAt(0).toUpperCase() + severity.slice(1), icon: SEVERITY_ICON[severity], words: incidentInWords(facts) };
}

/** How the incident ended: resolved by an action that held, or closed because it went quiet. */
export function closingLine(proposals: readonly ProposalView[]): string {
  const held = proposals.find((p) => p.status === 'succeeded' && p.mode === 'live' && !p.reverted_at && !notPaged(p) && p.action !== 'page_oncall');
  if (held) return `:large_green_circle: *Resolved* after: ${safe(actionInWords(held.action, held.params), 300)}${held.verification.status === 'passed' ? ' (verified)' : ''}`;
  const acted = proposals.some((p) => p.status === 'succeeded' && p.mode === 'live');
  return acted ? ':white_circle: *Closed: quiet.* No change is in place any more.' : ':white_circle: *Closed: quiet, no action taken.*';
}

/** Lines under the headline: reasoning, then each proposal as it stands, then the closing. */
function stateLines(input: IncidentRootInput, now: Date): string[] {
  const all = input.proposals ?? [];
  const shown = all.filter((p) => p.status !== 'superseded').slice(0, MAX_STATE_LINES);
  const lines: string[] = [];
  if (input.incident.silenced && input.incident.status === 'open') {
    const text = input.incident.silenced;
    lines.push(`:mute: ${safe(text.charAt(0).toUpperCase() + text.slice(1), 600)}: no proposal until it ends`);
  } else if (all.length === 0 && input.incident.status === 'open') {
    const t = input.reasoning?.late ? input.reasoning.text : 'reasoning';
    lines.push(`:brain: *${safe(t.charAt(0).toUpperCase() + t.slice(1), 60)}*: the proposal follows in the thread`);
  }
  for (const p of shown) lines.push(stateLine(p, now, input.policy));
  if (input.incident.status !== 'open') lines.push(closingLine(all));
  return lines;
}

/**
 * The incident's one announcement, edited in place as it changes: what broke and how badly on the
 * first line, then where the response stands (reasoning → proposed → approved → executed →
 * verified or failed → reverted → closed). Pure: the clock arrives as `now`.
 */
export function buildIncidentRoot(input: IncidentRootInput): SlackMessage {
  const i = input.incident;
  const now = input.now ?? new Date(Date.parse(i.last_seen));
  const head = incidentHeadline(i);
  const first = `${head.icon} *${head.severity}* · ${safe(head.words, 1000)}`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(first, LIMITS.sectionText) } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(stateLines(input, now).join('\n'), LIMITS.sectionText) } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(`${safe(i.subject, 300)} · first seen ${slackDate(i.first_seen)} · last event ${slackDate(i.last_seen)} · ${i.event_count} event${i.event_count === 1 ? '' : 's'} · details in the thread`, LIMITS.contextText) }],
    },
  ];
  return { text: truncate(fallbackText(input), LIMITS.fallbackText), blocks };
}

/** What a phone notification shows: what broke, and what is proposed or was done. */
function fallbackText(input: IncidentRootInput): string {
  const head = incidentHeadline(input.incident);
  const p = (input.proposals ?? []).find((x) => x.status !== 'superseded');
  const closed = input.incident.status !== 'open' ? ' — closed' : '';
  if (!p) return safe(`${head.severity}: ${head.words}${closed}`, LIMITS.fallbackText);
  const verb = p.status === 'pending' ? 'proposed' : p.status === 'succeeded' ? (notPaged(p) ? 'not paged (PagerDuty is not configured)' : ranWithoutApproval(p) ? 'done without approval' : 'done') : p.status;
  return safe(`${head.severity}: ${head.words} — ${verb}: ${actionInWords(p.action, p.params)} (risk ${riskInWords(p.risk_score, undefined)})${closed}`, LIMITS.fallbackText);
}

/** The former summary signature, for callers that have no proposals at hand. */
export function buildIncidentSummary(incident: IncidentSummaryInput, _proposal?: unknown, reasoning?: Lateness): SlackMessage {
  return buildIncidentRoot({ incident, reasoning });
}
