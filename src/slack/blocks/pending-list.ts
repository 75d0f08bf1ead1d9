import type { KnownBlock } from '@slack/types';
import { approvalProgress } from '../../domain/approvals.js';
import type { ProposalView } from '../../domain/proposal-view.js';
import { formatAge, LIMITS, link, safe, truncate } from './escape.js';
import { actionSpec, decisionButtons } from './proposal-card.js';
import type { SlackMessage } from './message.js';

export interface PendingItem {
  proposal: ProposalView;
  /** Permalink to the incident thread, when the thread exists. */
  threadUrl?: string | undefined;
}

/** Three blocks per proposal plus header and footer stay under Slack's 50. */
export const PENDING_LIST_MAX = 15;

/**
 * `/sre pending`: newest first, each with score, age, a thread link and its own approve/reject.
 * Deliberately no "approve all": every decision is about one proposal.
 */
export function buildPendingList(items: readonly PendingItem[], now: Date, consoleUrl?: string): SlackMessage {
  const sorted = [...items].sort((a, b) => Date.parse(b.proposal.created_at) - Date.parse(a.proposal.created_at));
  const shown = sorted.slice(0, PENDING_LIST_MAX);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: sorted.length === 0 ? 'No pending proposals' : `Pending proposals (${sorted.length})` } },
  ];
  for (const { proposal: p, threadUrl } of shown) {
    const title = actionSpec(p.action)?.title ?? p.action;
    const where = threadUrl ? link(threadUrl, 'thread') : 'no thread yet';
    const progress = approvalProgress(p);
    const line =
      `*${safe(title, 100)}* — ${safe(p.target, 200)}\n` +
      `Risk *${p.risk_score}* · age ${formatAge(p.created_at, now)} · ${safe(p.incident.type, 60)}: ${safe(p.incident.subject, 200)} · ${where} · \`${safe(p.id, 100)}\`` +
      (p.mode === 'shadow' ? ' · :ghost: shadow' : '') +
      (progress ? ` · ${safe(progress, 300)}` : '');
    blocks.push({ type: 'divider' });
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(line, LIMITS.sectionText) } });
    blocks.push(decisionButtons(p));
  }
  if (sorted.length > shown.length) {
    const more = `…and ${sorted.length - shown.length} more${consoleUrl ? ` — ${link(consoleUrl, 'open the console')}` : ''}`;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: more }] });
  }
  return { text: sorted.length === 0 ? 'No pending proposals' : `${sorted.length} pending proposal(s)`, blocks };
}
