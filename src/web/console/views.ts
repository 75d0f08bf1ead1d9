import type { ProposalView } from '../../proposals/types.js';
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
};

/** Pages without a clock of their own (email links) show absolute UTC times. */
const at = (iso: string) => absoluteText(new Date(iso));

export function statusText(status: string): string {
  return STATUS_TEXT[status] ?? status;
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
  return html`<p class="meta">Decided by <strong>${p.decided_by}</strong>${p.decided_via ? ` via ${p.decided_via}` : ''}${p.decided_at ? ` at ${at(p.decided_at)}` : ''}${
    p.decision_reason ? html` — “${p.decision_reason}”` : ''
  }</p>`;
}

export function proposalSummary(p: ProposalView, opts: { link?: boolean } = {}): Html {
  const title = `${p.action} on ${p.target}`;
  return html`<h2>${opts.link ? html`<a href="/sre/proposals/${encodeURIComponent(p.id)}">${title}</a>` : title}</h2>
<p class="meta">Incident <strong>${p.incident.type}</strong> on <strong>${p.incident.subject}</strong> · ${p.incident.event_count} events · first seen ${at(p.incident.first_seen)} · proposal <code>${p.id}</code></p>
<p><span class="status" data-status="${p.status}">${statusText(p.status)}</span> <span class="score">risk ${p.risk_score}/100</span> (${p.route})${p.escalated_at ? html` · <strong>escalated</strong> ${at(p.escalated_at)}` : ''}</p>
<p>Parameters: <code>${paramsText(p.params)}</code></p>
<h3>Reasoning</h3><div class="pre">${p.reasoning}</div>
${p.fallback_reason ? html`<p class="meta">Fallback: ${p.fallback_reason}</p>` : ''}
<h3>Risk</h3>${riskChart(p.risk_factors, p.risk_score, {})}
<details><summary>Latest incident data</summary><pre>${JSON.stringify(p.incident.latest, null, 2)}</pre></details>
${decisionLine(p)}
${p.result ? html`<details open><summary>Result</summary><pre>${JSON.stringify(p.result, null, 2)}</pre></details>` : ''}`;
}
