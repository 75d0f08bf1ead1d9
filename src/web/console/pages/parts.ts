import { type ProposalView } from '../../../proposals/index.js';
import { silenceLine } from '../../../domain/silences.js';
import type { IncidentSilence } from '../../../silences/index.js';
import { html, type Html } from '../html.js';
import { statusText } from '../views.js';
import { timeAgo } from './time.js';

/** Small pieces the SRE Agent pages share: risk badges, status pills, the proposal's safety notes. */

export interface PolicyView {
  threshold: number;
  autoApprove: boolean;
  twoPersonScore: number;
  mode: 'live' | 'shadow';
}

export function riskClass(score: number, p: PolicyView): string {
  return score >= p.twoPersonScore ? 'high' : score > p.threshold ? 'mid' : 'low';
}

export function riskBadge(score: number, p: PolicyView): Html {
  return html`<span class="risk ${riskClass(score, p)}">risk ${score}/100</span>`;
}

const TONE: Record<string, string> = { pending: 'wait', approved: 'go', executing: 'go', succeeded: 'ok', failed: 'bad', rejected: 'off', expired: 'off', superseded: 'off' };

/** The name a person knows: "Alice (slack U1)" → "Alice", "email:a@b" → "a@b", "system:policy" → "policy". */
export function personName(actor: string): string {
  const slack = /^(.*) \(slack [A-Z0-9]+\)$/.exec(actor);
  if (slack) return slack[1]!;
  return actor.replace(/^(email|system|slack):/, '');
}

/** "silenced until 02:00 by alice: migration", as Slack says it (domain/silences.ts), in the console's zone (UTC) like its other times. */
export function silencedText(s: Pick<IncidentSilence, 'until' | 'by' | 'reason'>, now: Date): string {
  return silenceLine({ until: new Date(s.until), by: personName(s.by), reason: s.reason }, now, 'UTC');
}

/** The note on an incident's pages while a silence covers it; a pending proposal adds that it waits and approving is refused. */
export function silencedNote(s: IncidentSilence | null | undefined, now: Date, pending = false): Html | string {
  if (!s) return '';
  const text = silencedText(s, now);
  return html`<p class="note silenced" role="status" data-silence="${s.id}">${text.charAt(0).toUpperCase()}${text.slice(1)}${pending ? ': this proposal is held, and approving it is refused until the silence ends' : ''}.</p>`;
}

export const CHANNEL_TEXT: Record<string, string> = {
  slack: 'in Slack',
  console: 'in the console',
  api: 'through the JSON API',
  cli: 'from the command line',
  email: 'from an email link',
  policy: 'automatically by policy',
};

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Who decided and how, for people: "alice in Slack 4 min ago — “reason”". */
export function decidedLine(p: ProposalView, now: Date): Html {
  if (p.status === 'expired') return html`<p class="meta">Expired ${timeAgo(p.decided_at ?? p.expires_at, now)} with no decision: no action taken.</p>`;
  if (p.status === 'superseded') {
    const newer = p.superseded_by ? html`<a href="/sre/proposals/${encodeURIComponent(p.superseded_by)}">a newer proposal</a>` : 'a newer proposal';
    return html`<p class="meta">Superseded by ${newer}: no action taken.</p>`;
  }
  if (!p.decided_by) return html``;
  // A shadow proposal is never executed: its decision is what the person would have done.
  const verb = p.mode === 'shadow' ? (p.status === 'rejected' ? 'Would reject (shadow)' : 'Would approve (shadow, nothing executed)') : p.status === 'rejected' ? 'Rejected' : 'Approved';
  const who = p.decided_via === 'policy' ? '' : html` by <strong>${personName(p.decided_by)}</strong>`;
  return html`<p class="decided">${verb}${who} ${CHANNEL_TEXT[p.decided_via ?? ''] ?? (p.decided_via ? `via ${p.decided_via}` : '')} ${p.decided_at ? timeAgo(p.decided_at, now) : ''}${
    p.decision_reason ? html` — “${p.decision_reason}”` : ''
  }</p>`;
}

export function statusPill(status: string, opts: { long?: boolean } = {}): Html {
  return html`<span class="status s-${TONE[status] ?? 'off'}" data-status="${status}">${opts.long ? statusText(status) : status}</span>`;
}

/**
 * "1 of 2: alice" — who approved, and how many approvals the proposal needs. The number is the one
 * stored with the proposal when it was made (what the decision path enforces), not today's policy.
 */
export function approvalsText(p: ProposalView): string | undefined {
  const need = Math.max(1, p.approvals_required);
  if (need === 1 && p.approvals.length <= 1) return undefined;
  const names = p.approvals.map((a) => personName(a.by)).join(', ');
  return `${p.approvals.length} of ${need}${names ? `: ${names}` : ''}${p.status === 'pending' && p.approvals.length < need ? ` — needs approvals from ${need} different people` : ''}`;
}

const VERIFICATION_TEXT: Record<string, string> = { pending: 'watching the effect', passed: 'passed', failed: 'failed', reverted: 'failed, reverted' };

/** Mode, approvals, verification and a stale refusal: shown only when they say something. */
export function safetyNotes(p: ProposalView, now: Date): Html {
  const approvals = approvalsText(p);
  const v = p.verification;
  const vText = VERIFICATION_TEXT[v.status] ?? v.status;
  return html`${p.mode === 'shadow' ? html`<p class="note shadow"><strong>Shadow mode:</strong> proposed and scored only; it is never executed.</p>` : ''}
${approvals ? html`<p class="note"><strong>Approvals:</strong> ${approvals}</p>` : ''}
${v.status !== 'none' ? html`<p class="note v-${v.status}"><strong>Verification:</strong> ${vText}${v.reason ? ` — ${v.reason}` : ''}${v.checked_at ? html` (checked ${timeAgo(v.checked_at, now)})` : ''}</p>` : ''}
${p.stale_reason ? html`<p class="note stale"><strong>Not executed:</strong> the situation changed — ${p.stale_reason}</p>` : ''}`;
}
