import type { KnownBlock } from '@slack/types';
import type { Lateness } from '../../domain/lateness.js';
import { LIMITS, plain, safe, slackDate, truncate } from './escape.js';
import type { SlackMessage } from './message.js';

/** What the parent message of an incident shows; ProposalView['incident'] fits. */
export interface IncidentSummaryInput {
  id: string;
  type: string;
  subject: string;
  status: string;
  first_seen: string;
  last_seen: string;
  event_count: number;
  latest?: Record<string, unknown>;
  /** "silenced until 02:00 by alice: migration" while a silence holds the incident (domain/silences.ts). */
  silenced?: string;
}

export interface IncidentSummaryProposal {
  id: string;
  action: string;
  status: string;
  risk_score: number;
}

const STATUS_ICON: Record<string, string> = { open: ':red_circle:', closed: ':white_check_mark:' };

/** A few facts from the latest event, as `key: value` (scalars only; long values cut). */
function latestFacts(latest: Record<string, unknown> | undefined): string {
  if (!latest) return '';
  const lines: string[] = [];
  for (const [k, v] of Object.entries(latest)) {
    if (lines.length >= 8) break;
    if (v === null || v === undefined) continue;
    const shown = Array.isArray(v) ? v.filter((x) => x === null || typeof x !== 'object').slice(0, 3).join(' | ') : typeof v === 'object' ? undefined : String(v);
    if (shown) lines.push(`${safe(k, 60)}: ${safe(shown, 200)}`);
  }
  return lines.join('\n');
}

/**
 * The incident's parent message: edited in place as events arrive, never re-posted. `reasoning`
 * (domain/lateness.ts) makes a slow proposal visible instead of silent.
 */
export function buildIncidentSummary(incident: IncidentSummaryInput, proposal?: IncidentSummaryProposal, reasoning?: Lateness): SlackMessage {
  const icon = STATUS_ICON[incident.status] ?? ':large_orange_circle:';
  const title = `${incident.type} · ${incident.subject}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: plain(`Incident: ${title}`, LIMITS.headerText), emoji: false } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Type*\n${safe(incident.type, 200)}` },
        { type: 'mrkdwn', text: `*Subject*\n${safe(incident.subject, 500)}` },
        { type: 'mrkdwn', text: `*First seen*\n${slackDate(incident.first_seen)}` },
        { type: 'mrkdwn', text: `*Last seen*\n${slackDate(incident.last_seen)}` },
        { type: 'mrkdwn', text: `*Events*\n${incident.event_count}` },
        { type: 'mrkdwn', text: `*State*\n${icon} ${safe(incident.status, 100)}` },
      ],
    },
  ];
  const facts = latestFacts(incident.latest);
  if (facts) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Latest event*\n\`\`\`${truncate(facts, LIMITS.sectionText - 40)}\`\`\`` } });
  if (incident.silenced) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:mute: ${safe(incident.silenced.charAt(0).toUpperCase() + incident.silenced.slice(1), 600)}: no proposal until it ends` }] });
  else if (!proposal && reasoning?.late) {
    const text = reasoning.text.charAt(0).toUpperCase() + reasoning.text.slice(1);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:hourglass_flowing_sand: ${safe(text, 100)}: the proposal follows in the thread` }] });
  }
  if (proposal) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Proposal ${safe(proposal.id, 100)}: ${safe(proposal.action, 100)} · risk ${proposal.risk_score} · ${safe(proposal.status, 50)} — details in the thread`,
        },
      ],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Incident ${safe(incident.id, 100)}` }] });
  return { text: safe(`${incident.status === 'closed' ? 'Closed' : 'Incident'}: ${title} (${incident.event_count} events)`, LIMITS.fallbackText), blocks };
}
