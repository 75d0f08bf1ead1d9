import { type ProposalView } from '../../../proposals/index.js';
import { html, page } from '../html.js';
import { killSwitchPlaces, type KillSwitchPanel } from '../kill-switch.js';
import { decisionForm, nav } from '../pages.js';
import type { ProposalPageData } from './data.js';
import { decidedLine, plural, riskBadge, safetyNotes, statusPill, type PolicyView } from './parts.js';
import { riskChart } from './risk-chart.js';
import { timeAgo, timeLeft } from './time.js';
import { timelineList } from './timeline.js';

/** One proposal: the decision at the top, the risk as a chart, the reasoning, then the incident's story. */

function paramsList(params: Record<string, unknown>) {
  return html`<dl class="params">${Object.entries(params).map(([k, v]) => html`<div><dt>${k}</dt><dd><code>${typeof v === 'string' ? v : JSON.stringify(v)}</code></dd></div>`)}</dl>`;
}

export function proposalPage(o: { user: string; csrf: string; now: Date; policy: PolicyView; data: ProposalPageData; notice?: string; error?: string; banner?: KillSwitchPanel }): string {
  const p: ProposalView = o.data.proposal;
  const others = o.data.others.filter((x) => x.id !== p.id);
  const [top, bottom] = killSwitchPlaces(o.banner);
  return page(
    `${p.action} on ${p.target}`,
    html`${top}${o.notice ? html`<div class="card ok" role="status">${o.notice}</div>` : ''}${o.error ? html`<div class="card error" role="alert">${o.error}</div>` : ''}
<article class="card proposal" data-proposal="${p.id}">
<div class="head">${riskBadge(p.risk_score, o.policy)}<h1>${p.action} on ${p.target}</h1></div>
<p class="meta">${statusPill(p.status, { long: true })} · proposed ${timeAgo(p.created_at, o.now)} by ${p.reasoner}${p.status === 'pending' ? html` · ${timeLeft(p.expires_at, o.now)}` : ''}${p.escalated_at ? html` · escalated ${timeAgo(p.escalated_at, o.now)}` : ''} · <code>${p.id}</code></p>
<p class="meta">Incident <strong>${p.incident.type}</strong> on <strong>${p.incident.subject}</strong> (${p.incident.status}) · ${plural(p.incident.event_count, 'event')} · first seen ${timeAgo(p.incident.first_seen, o.now)} · last ${timeAgo(p.incident.last_seen, o.now)}</p>
${safetyNotes(p, o.now)}
${p.status === 'pending' ? decisionForm(p, o.csrf) : decidedLine(p, o.now)}
${p.fallback_reason ? html`<p class="note">Fallback: ${p.fallback_reason}</p>` : ''}
${p.runbook ? html`<p class="meta runbook">Runbook <code>${p.runbook.path}</code> · sha256 <code>${p.runbook.sha256.slice(0, 12)}</code></p>` : ''}
<h2>Reasoning</h2><div class="pre reasoning">${p.reasoning}</div>
<h2>Parameters</h2>${paramsList(p.params)}
<h2>Risk</h2>${riskChart(p.risk_factors, p.risk_score, { threshold: o.policy.threshold, twoPerson: o.policy.twoPersonScore })}
<details><summary>Latest incident data</summary><pre>${JSON.stringify(p.incident.latest, null, 2)}</pre></details>
${p.result ? html`<details><summary>Result</summary><pre>${JSON.stringify(p.result, null, 2)}</pre></details>` : ''}
</article>
${others.length ? html`<section class="card" aria-labelledby="h-others"><h2 id="h-others">Other proposals for this incident</h2><ul>${others.map((x) => html`<li><a href="/sre/proposals/${encodeURIComponent(x.id)}">${x.action} on ${x.target}</a> ${statusPill(x.status)} ${timeAgo(x.created_at, o.now)}</li>`)}</ul></section>` : ''}
<section class="card" aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>${timelineList(o.data.timeline, o.now)}
<p><a class="button" href="/sre/incidents/${encodeURIComponent(p.incident_id)}/report">Report</a> <a href="/sre/audit?incident=${encodeURIComponent(p.incident_id)}">Audit log for this incident</a></p></section>
${bottom}`,
    { nav: nav(o.user, o.csrf, '') },
  );
}
