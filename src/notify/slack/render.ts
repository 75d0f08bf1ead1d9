import type { Lateness } from '../../domain/lateness.js';
import type { ProposalView } from '../../domain/proposal-view.js';
import { escapeMrkdwn, slackDate } from '../../slack/blocks/escape.js';
import { buildIncidentRoot, type IncidentSummaryInput } from '../../slack/blocks/incident-summary.js';
import type { SlackMessage } from '../../slack/blocks/message.js';
import { buildProposalCard } from '../../slack/blocks/proposal-card.js';
import { buildReasoning } from '../../slack/blocks/reasoning.js';

/**
 * What the Slack channel says, from state alone: no database, no clock of its own, no client.
 * Every message the adapter sends is one of these, so each can be tested as a person reads it.
 */

export interface RenderContext {
  now: Date;
  policy?: { riskThreshold: number; autoApprove: boolean } | undefined;
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

export function renderEscalation(p: ProposalView, _ctx: RenderContext): SlackMessage {
  const note = `:rotating_light: Still waiting for a decision on ${escapeMrkdwn(p.id)} (risk ${p.risk_score}) since ${slackDate(p.created_at)}; escalated to on-call.`;
  return { text: note, blocks: [] };
}

export function renderReply(text: string, _live: readonly ProposalView[], _ctx: RenderContext): SlackMessage {
  return { text, blocks: [] };
}
