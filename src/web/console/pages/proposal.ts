import { type ProposalView } from '../../../proposals/index.js';
import { actionInWords, resultInWords } from '../../../domain/words.js';
import { html, page } from '../html.js';
import { killSwitchPlaces, type KillSwitchPanel } from '../kill-switch.js';
import { specFor, type ActionId } from '../../../domain/actions.js';
import { decisionForm, nav, revertForm } from '../pages.js';
import type { ProposalPageData } from './data.js';
import { decidedLine, plural, riskBadge, safetyNotes, silencedNote, statusPill, type PolicyView } from './parts.js';
import { riskChart } from './risk-chart.js';
import { timeAgo, timeLeft } from './time.js';
import { timelineList } from './timeline.js';

/** One proposal: the decision at the top, the risk as a chart, the reasoning, then the incident's story. */

function paramsList(params: Record<string, unknown>) {
  return html`<dl class="params">${Object.entries(params).map(([k, v]) => html`<div><dt>${k}</dt><dd><code>${typeof v === 'string' ? v : JSON.stringify(v)}</code></dd></div>`)}</dl>`;
}

/** "Last time": the last incidents on this subject of the same failure class, newest first (proposals/past-incidents.ts). */
function lastTime(p: ProposalView, now: Date) {
  const past = p.past_incidents ?? [];
  if (past.length === 0) return '';
  return html`<section class="card" aria-labelledby="h-last-time"><h2 id="h-last-time">Last time</h2><ul class="last-time">${past.map(
    (x) => html`<li data-verification="${x.verification_failed ? 'failed' : x.verification}"><a href="/sre/proposals/${encodeURIComponent(x.proposal_id)}">${timeAgo(x.opened_at, now)}</a>: ${x.line}</li>`,
  )}</ul></section>`;
}

export function proposalPage(o: { user: string; csrf: string; now: Date; policy: PolicyView; data: ProposalPageData; notice?: string; error?: string; banner?: KillSwitchPanel; traceLink?: string | undefined }): string {
  const p: ProposalView = o.data.proposal;
  const others = o.data.others.filter((x) => x.id !== p.id);
  const [top, bottom] = killSwitchPlaces(o.banner);
  return page(
    actionInWords(p.action, p.params),
    html`${top}${o.notice ? html`<div class="card ok" role="status">${o.notice}</div>` : ''}${o.error ? html`<div class="card error" role="alert">${o.error}</div>` : ''}
<article class="card proposal" data-proposal="${p.id}">
<div class="head">${riskBadge(p.risk_score, o.policy)}<h1>${actionInWords(p.action, p.params)}</h1></div>
<p class="meta">${statusPill(p.status, { long: true })} · proposed ${timeAgo(p.created_at, o.now)} by ${p.reasoner}${p.status === 'pending' ? html` · ${timeLeft(p.expires_at, o.now)}` : ''}${p.escalated_at ? html` · escalated ${timeAgo(p.escalated_at, o.now)}` : ''} · <code>${p.id}</code></p>
<p class="meta">Incident <strong>${p.incident.type}</strong> on <strong>${p.incident.subject}</strong> (${p.incident.status}) · ${plural(p.incident.event_count, 'event')} · first seen ${timeAgo(p.incident.first_seen, o.now)} · last ${timeAgo(p.incident.last_seen, o.now)}</p>
${safetyNotes(p, o.now)}
${silencedNote(o.data.silence, o.now, p.status === 'pending')}
${p.status === 'pending' ? decisionForm(p, o.csrf) : decidedLine(p, o.now)}
${revertForm(p, o.csrf, specFor(p.action as ActionId)?.reversible === true)}
${p.fallback_reason ? html`<p class="note">Fallback: ${p.fallback_reason}</p>` : ''}
${p.runbook ? html`<p class="meta runbook">Runbook <code>${p.runbook.path}</code> · sha256 <code>${p.runbook.sha256.slice(0, 12)}</code></p>` : ''}
<h2>Reasoning</h2><div class="pre reasoning">${p.reasoning}</div>
<h2>Parameters</h2>${paramsList(p.params)}
<h2>Risk</h2>${riskChart(p.risk_factors, p.risk_score, { threshold: o.policy.threshold, twoPerson: o.policy.twoPersonScore })}
<details><summary>Latest incident data</summary><pre>${JSON.stringify(p.incident.latest, null, 2)}</pre></details>
${p.result ? html`<p class="result">${resultInWords(p.action, p.params, p.status, p.result)}</p><details><summary>Result as recorded</summary><pre>${JSON.stringify(p.result, null, 2)}</pre></details>` : ''}
</article>
${lastTime(p, o.now)}
${others.length ? html`<section class="card" aria-labelledby="h-others"><h2 id="h-others">Other proposals for this incident</h2><ul>${others.map((x) => html`<li><a href="/sre/proposals/${encodeURIComponent(x.id)}">${actionInWords(x.action, x.params)}</a> ${statusPill(x.status)} ${timeAgo(x.created_at, o.now)}</li>`)}</ul></section>` : ''}
<section class="card" aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>${timelineList(o.data.timeline, o.now)}
<p><a class="button" href="/sre/incidents/${encodeURIComponent(p.incident_id)}/report">Report</a> <a href="/sre/audit?incident=${encodeURIComponent(p.incident_id)}">Audit log for this incident</a>${o.traceLink ? html` <a href="${o.traceLink}" rel="noopener noreferrer" data-trace="${o.data.traceId ?? ''}">Trace</a>` : ''}</p></section>
${bottom}`,
    { nav: nav(o.user, o.csrf, '') },
  );
}
