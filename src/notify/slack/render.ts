import type { Lateness } from '../../domain/lateness.js';
import type { ProposalView } from '../../domain/proposal-view.js';
import type { KnownBlock } from '@slack/types';
import { actionDone, pageOutcome, pages, riskInWords, timeLeft } from '../../domain/words.js';
import { LIMITS, safe, slackDate, truncate } from '../../slack/blocks/escape.js';
import { buildIncidentRoot, type IncidentSummaryInput } from '../../slack/blocks/incident-summary.js';
import type { SlackMessage } from '../../slack/blocks/message.js';
import { actionSpec, buildProposalCard, revertButton } from '../../slack/blocks/proposal-card.js';
import { actionText, approvedBy } from '../../slack/blocks/state-words.js';
import { buildReasoning } from '../../slack/blocks/reasoning.js';

/**
 * What the Slack channel says, from state alone: no database, no clock of its own, no client.
 * Every message the adapter sends is one of these, so each can be tested as a person reads it.
 */

export interface RenderContext {
  now: Date;
  policy?: { riskThreshold: number; autoApprove: boolean; timeZone?: string } | undefined;
}

export interface RootState {
  incident: IncidentSummaryInput;
  /** The incident's proposals, newest first. */
  proposals: readonly ProposalView[];
  reasoning?: Lateness | undefined;
}

export function renderRoot(s: RootState, ctx: RenderContext): SlackMessage {
  return buildIncidentRoot({ ...s, now: ctx.now, policy: ctx.policy });
}

export function renderCard(p: ProposalView, ctx: RenderContext): SlackMessage {
  return buildProposalCard(p, { now: ctx.now, policy: ctx.policy });
}

export function renderReasoning(p: ProposalView): SlackMessage {
  return buildReasoning(p);
}

/** The escalation note: says what it did, and never "paged" when the log-only pager was used. */
export function renderEscalation(p: ProposalView, ctx: RenderContext, outcome: Record<string, unknown> = {}): SlackMessage {
  // Only the paging side knows whether a page went out; without its word, no claim is made.
  const page = pageOutcome(outcome);
  const did = !page.paged ? `not paged: ${safe(page.why ?? 'PagerDuty is not configured', 200)}` : outcome.paged === true ? 'on-call was paged' : 'escalated';
  const text = `:rotating_light: Still waiting for a decision on "${actionText(p)}" (risk ${riskInWords(p.risk_score, ctx.policy)}, ${timeLeft(p.expires_at, ctx.now)}); ${did}.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } }] };
}

/** Changes still in place: executed, live, not reverted, and able to be undone. */
export function liveChanges(proposals: readonly ProposalView[]): ProposalView[] {
  return proposals.filter((p) => p.status === 'succeeded' && p.mode === 'live' && !p.reverted_at && !pages(p.action));
}

/**
 * A reply in the thread (`text` already escaped): the answer, then what is live now — what
 * executed, when, how to undo it, with the revert button — instead of a dump of the state.
 */
export function renderReply(text: string, proposals: readonly ProposalView[], _ctx: RenderContext): SlackMessage {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } }];
  const live = liveChanges(proposals).slice(0, 5);
  for (const p of live) {
    const spec = actionSpec(p.action);
    const undo = spec?.undo === 'auto-restores' ? 'It undoes itself when the time is up, or revert it now.' : p.reversible ? 'Revert undoes it.' : 'It cannot be undone.';
    const line = `:large_blue_circle: *Live now:* ${safe(actionDone(p.action, p.params), 300)}, ${approvedBy(p)}${p.decided_at ? ` at ${slackDate(p.decided_at)}` : ''}. ${undo}`;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(line, LIMITS.sectionText) } });
    if (p.reversible && p.incident.status === 'open') blocks.push(revertButton(p));
  }
  if (live.length === 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Nothing the agent did is in place now.' }] });
  return { text: truncate(text, LIMITS.fallbackText), blocks };
}
