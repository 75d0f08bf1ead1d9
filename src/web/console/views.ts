import { actionInWords } from '../../domain/words.js';
import { approvalProgress } from '../../domain/approvals.js';
import { type ProposalView } from '../../proposals/index.js';
import { html, type Html } from './html.js';
import { riskChart } from './pages/risk-chart.js';
import { absoluteText } from './pages/time.js';

/** Pieces of markup shared by the console and the email-link pages. Every value is escaped by `html`. */

const STATUS_TEXT: Record<string, string> = {
  pending: 'pending — waiting for a decision',
  approved: 'approved',
  rejected: 'rejected',
  executing: 'executing',
  succeeded: 'succeeded',
  failed: 'failed',
  expired: 'expired — no action taken',
  superseded: 'superseded — no action taken',
  stale: 'stale — not executed',
};

const VERIFICATION_TEXT: Record<string, string> = { pending: 'Verifying', passed: 'Verified', failed: 'Verification failed', reverted: 'Reverted' };

/** Pages without a clock of their own (email links) show absolute UTC times. */
const at = (iso: string) => absoluteText(new Date(iso));

export function statusText(status: string): string {
  return STATUS_TEXT[status] ?? status;
}

/** Shadow and two-person notes: what the page must say before anyone decides. */
export function approvalNotes(p: ProposalView): Html {
  const progress = approvalProgress(p);
  return html`${p.mode === 'shadow' ? html`<p class="card shadow" data-mode="shadow"><strong>Shadow mode</strong>: the agent never executes anything. Decisions are recorded as “would approve” / “would reject”.</p>` : ''}${
    progress ? html`<p class="meta" data-approvals="${p.approvals.length}"><strong>${progress}</strong>: a second person must approve before it executes.</p>` : p.status === 'pending' && p.approvals_required > 1 ? html`<p class="meta" data-approvals="0">Needs approvals from ${p.approvals_required} different people (two-person rule).</p>` : ''
  }${p.approvals.length > 1 && p.status !== 'pending' ? html`<p class="meta">Approved by ${p.approvals.map((a) => a.by).join(' and ')}.</p>` : ''}`;
}
/** The decision verbs as shown: "Would approve" for a shadow proposal. */
export function decisionVerbs(p: Pick<ProposalView, 'mode'>): { approve: string; reject: string } {
  return p.mode === 'shadow' ? { approve: 'Would approve', reject: 'Would reject' } : { approve: 'Approve', reject: 'Reject' };
}

function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

export function decisionLine(p: ProposalView): Html {
  if (p.status === 'expired') return html`<p class="meta">Expired at ${at(p.decided_at ?? p.expires_at)}: no action taken.</p>`;
  if (p.status === 'superseded') return html`<p class="meta">Superseded by ${p.superseded_by ?? 'a newer proposal'}: no action taken.</p>`;
  if (!p.decided_by) return html``;
  const shadow = p.mode === 'shadow' && (p.status === 'approved' || p.status === 'rejected');
  return html`<p class="meta">${shadow ? (p.status === 'approved' ? 'Would approve (shadow, nothing executed): decided' : 'Would reject (shadow): decided') : 'Decided'} by <strong>${p.decided_by}</strong>${p.decided_via ? ` via ${p.decided_via}` : ''}${p.decided_at ? ` at ${at(p.decided_at)}` : ''}${
    p.decision_reason ? html` — “${p.decision_reason}”` : ''
  }</p>`;
}

export function proposalSummary(p: ProposalView, opts: { link?: boolean } = {}): Html {
  const title = actionInWords(p.action, p.params);
  return html`<h2>${p.mode === 'shadow' ? html`<span class="badge" data-mode="shadow">shadow</span> ` : ''}${opts.link ? html`<a href="/sre/proposals/${encodeURIComponent(p.id)}">${title}</a>` : title}</h2>
${approvalNotes(p)}
<p class="meta">Incident <strong>${p.incident.type}</strong> on <strong>${p.incident.subject}</strong> · ${p.incident.event_count} events · first seen ${at(p.incident.first_seen)} · proposal <code>${p.id}</code></p>
<p><span class="status" data-status="${p.status}">${statusText(p.status)}</span> <span class="score">risk ${p.risk_score}/100</span> (${p.route})${p.escalated_at ? html` · <strong>escalated</strong> ${at(p.escalated_at)}` : ''}</p>
<p>Parameters: <code>${paramsText(p.params)}</code></p>
<h3>Reasoning</h3><div class="pre">${p.reasoning}</div>
${p.fallback_reason ? html`<p class="meta">Fallback: ${p.fallback_reason}</p>` : ''}
<h3>Risk</h3>${riskChart(p.risk_factors, p.risk_score, {})}
<details><summary>Latest incident data</summary><pre>${JSON.stringify(p.incident.latest, null, 2)}</pre></details>
${decisionLine(p)}
${p.stale_reason ? html`<p class="card error" data-stale>Not executed — the re-check at decision time found: ${p.stale_reason}</p>` : ''}
${VERIFICATION_TEXT[p.verification.status] ? html`<p class="meta" data-verification="${p.verification.status}"><strong>${VERIFICATION_TEXT[p.verification.status]}</strong>${p.verification.checked_at ? ` at ${at(p.verification.checked_at)}` : ''}${p.verification.reason ? html`: ${p.verification.reason}` : ''}</p>` : ''}
${p.result ? html`<details open><summary>Result</summary><pre>${JSON.stringify(p.result, null, 2)}</pre></details>` : ''}`;
}
