import type { KnownBlock } from '@slack/types';
import type { ProposalView } from '../../domain/proposal-view.js';
import { riskBand, timeLeft } from '../../domain/words.js';
import { LIMITS, link, safe, truncate } from './escape.js';
import { decisionButtons } from './proposal-card.js';
import type { SlackMessage } from './message.js';
import { actionText, who } from './state-words.js';

export interface PendingItem {
  proposal: ProposalView;
  /** Permalink to the incident thread, when the thread exists. */
  threadUrl?: string | undefined;
}

/** Three blocks per proposal plus header and footer stay under Slack's 50. */
export const PENDING_LIST_MAX = 15;

/** Riskiest first; among equals, the one that expires soonest. */
function riskiestFirst(a: PendingItem, b: PendingItem): number {
  return b.proposal.risk_score - a.proposal.risk_score || Date.parse(a.proposal.expires_at) - Date.parse(b.proposal.expires_at);
}

/**
 * `/sre pending`: riskiest first, each line the incident's subject, then the action in words, the
 * risk and the time left, a thread link and its own approve/reject. Deliberately no "approve all".
 */
export function buildPendingList(items: readonly PendingItem[], now: Date, consoleUrl?: string): SlackMessage {
  const sorted = [...items].sort(riskiestFirst);
  const shown = sorted.slice(0, PENDING_LIST_MAX);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: sorted.length === 0 ? 'Nothing waits for a decision' : `Waiting for a decision (${sorted.length}), riskiest first` } },
  ];
  for (const { proposal: p, threadUrl } of shown) {
    const where = threadUrl ? link(threadUrl, 'thread') : 'no thread yet';
    const progress = p.approvals.length > 0 && p.approvals_required > 1 ? ` · ${p.approvals.length} of ${p.approvals_required} approvals (${p.approvals.map((a) => who(a.by)).join(', ')})` : '';
    const line =
      `*${safe(p.incident.subject, 200)}*: ${actionText(p)}\n` +
      `risk ${riskBand(p.risk_score)} · ${p.risk_score} · ${timeLeft(p.expires_at, now)} · ${where}` +
      (p.mode === 'shadow' ? ' · :ghost: shadow' : '') +
      progress;
    blocks.push({ type: 'divider' });
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(line, LIMITS.sectionText) } });
    blocks.push(decisionButtons(p));
  }
  if (sorted.length > shown.length) {
    const more = `…and ${sorted.length - shown.length} more${consoleUrl ? ` — ${link(consoleUrl, 'open the console')}` : ''}`;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: more }] });
  }
  const top = shown[0]?.proposal;
  const text = top ? `${sorted.length} waiting for a decision; riskiest: ${safe(top.incident.subject, 300)}: ${actionText(top)} (risk ${top.risk_score})` : 'Nothing waits for a decision';
  return { text: truncate(text, LIMITS.fallbackText), blocks };
}
