import { type ProposalView } from '../../../proposals/index.js';
import { actionInWords, incidentInWords } from '../../../domain/words.js';
import { html, page, type Html } from '../html.js';
import { killSwitchPlaces, type KillSwitchPanel } from '../kill-switch.js';
import { decisionForm, nav } from '../pages.js';
import type { IncidentLine, OverviewData, PauseState } from './data.js';
import { personName, plural, riskBadge, safetyNotes, silencedText, statusPill, type PolicyView } from './parts.js';
import { durationText, timeAgo, timeLeft } from './time.js';

/** The SRE Agent page: what waits for a decision first, then what is going on, then the last day. */

export interface OverviewOptions {
  user: string;
  csrf: string;
  now: Date;
  policy: PolicyView;
  pause: PauseState;
  data: OverviewData;
  /** The kill switch: paused, its banner goes first; running, its pause form follows the pending decisions. */
  banner?: KillSwitchPanel;
  notice?: string;
}

const CHANNEL_NAMES: Record<string, string> = { slack: 'Slack', console: 'Console', api: 'JSON API', cli: 'Command line', email: 'Email link', policy: 'Auto (policy)' };

function pendingCard(p: ProposalView, o: OverviewOptions): Html {
  const href = `/sre/proposals/${encodeURIComponent(p.id)}`;
  return html`<article class="card decision" data-proposal="${p.id}" aria-labelledby="h-${p.id}">
<div class="head">${riskBadge(p.risk_score, o.policy)}<h2 id="h-${p.id}"><a href="${href}">${actionInWords(p.action, p.params)}</a></h2><span class="left">${timeLeft(p.expires_at, o.now)}</span></div>
<p class="meta"><strong>${p.incident.subject}</strong>: ${incidentInWords(p.incident)} · ${plural(p.incident.event_count, 'event')} · proposed ${timeAgo(p.created_at, o.now)} by ${p.reasoner}${p.escalated_at ? html` · <strong class="warn-text">escalated</strong>` : ''}</p>
${safetyNotes(p, o.now)}
<div class="pre reasoning">${p.reasoning}</div>
${decisionForm(p, o.csrf)}
</article>`;
}

function whoDecided(p: ProposalView): string {
  if (p.decided_via === 'policy') return 'auto-approved';
  if (p.decided_by) return `${p.status === 'rejected' ? 'rejected' : 'approved'} by ${personName(p.decided_by)}`;
  return p.status === 'expired' ? 'nobody decided' : p.status;
}

export function incidentState(line: IncidentLine, now: Date, policy: PolicyView): Html {
  const l = line.latest;
  const s = line.incident.status === 'open' ? line.incident.silence : null;
  // Held by a silence (src/silences): said first, in the console's zone (UTC) like its other times.
  const held = s ? html`<span class="silenced" data-silence="${s.id}">${silencedText(s, now)}</span> ` : html``;
  if (s && !l) return held;
  if (s && l) return html`${held}<a href="/sre/proposals/${encodeURIComponent(l.id)}">${l.action}</a> ${statusPill(l.status)}`;
  if (!l) {
    if (line.incident.status !== 'open') return html`<span class="meta">no proposal</span>`;
    const ms = now.getTime() - line.incident.openedAt.getTime();
    return html`<span class="reasoning-now">reasoning, ${ms < 120_000 ? `${Math.max(0, Math.round(ms / 1000))} s` : durationText(ms)} so far</span>`;
  }
  return html`<a href="/sre/proposals/${encodeURIComponent(l.id)}">${l.action}</a> ${statusPill(l.status)} ${riskBadge(l.riskScore, policy)}`;
}

function statusStrip(o: OverviewOptions): Html {
  const p = o.pause;
  return html`<section class="strip" aria-label="Agent status">
<div class="${p.paused ? 'paused' : 'running'}"><span class="k">Agent</span> ${p.paused ? html`<strong>paused</strong>${p.by ? ` by ${p.by}` : ''}${p.reason ? ` — ${p.reason}` : ''}${p.at ? html` ${timeAgo(p.at, o.now)}` : ''}` : html`<strong>running</strong>`}</div>
<div><span class="k">Mode</span> <strong>${o.policy.mode}</strong>${o.policy.mode === 'shadow' ? ' (never executes)' : ''}</div>
<div><span class="k">Auto-approve</span> ${o.policy.autoApprove ? html`<strong>on</strong> at risk ≤ ${o.policy.threshold}` : html`<strong>off</strong>`}</div>
<div><span class="k">Two people</span> at risk ≥ ${o.policy.twoPersonScore}</div>
</section>`;
}

function daySection(o: OverviewOptions): Html {
  const d = o.data.day;
  const v = d.verification;
  return html`<section class="card" aria-labelledby="h-day"><h2 id="h-day">Last 24 hours</h2>
<dl class="figures">
<div><dt>Executed</dt><dd>${d.executions.succeeded}${d.executions.failed ? html`<span class="sub bad-text">${d.executions.failed} failed</span>` : ''}</dd></div>
<div><dt>Auto-executed</dt><dd>${d.autoExecuted}</dd></div>
<div><dt>Expired</dt><dd>${d.expired}</dd></div>
<div><dt>Verified</dt><dd>${v.passed + v.failed + v.reverted + v.watching === 0 ? html`<span class="meta">none yet</span>` : html`${v.passed} passed${v.failed ? html`, <span class="bad-text">${v.failed} failed</span>` : ''}${v.reverted ? `, ${v.reverted} reverted` : ''}${v.watching ? `, ${v.watching} watching` : ''}`}</dd></div>
</dl>
<h3>Decisions by channel</h3>
${d.decisions.length === 0 ? html`<p class="meta">No decisions in the last 24 hours.</p>` : html`<table class="compact"><thead><tr><th scope="col">channel</th><th scope="col">approved</th><th scope="col">rejected</th></tr></thead><tbody>${d.decisions.map(
    (c) => html`<tr><th scope="row">${CHANNEL_NAMES[c.channel] ?? (c.channel || 'unknown')}</th><td>${c.approved}</td><td>${c.rejected}</td></tr>`,
  )}</tbody></table>`}
</section>`;
}

function openSection(o: OverviewOptions): Html {
  const open = o.data.open;
  return html`<section class="card" aria-labelledby="h-open"><h2 id="h-open">Open incidents <span class="count">${open.length}</span></h2>
${open.length === 0 ? html`<p class="meta">No open incidents.</p>` : html`<ul class="incidents">${open.map(
    (l) => html`<li data-incident="${l.incident.id}"><div><strong>${l.incident.type}</strong> on <strong>${l.incident.subject}</strong></div>
<div class="meta">${plural(l.incident.eventCount, 'event')} · opened ${timeAgo(l.incident.openedAt, o.now)} · last ${timeAgo(l.incident.lastSeen, o.now)}</div><div>${incidentState(l, o.now, o.policy)}</div></li>`,
  )}</ul>`}
<p><a href="/sre/incidents">All incidents</a></p></section>`;
}

export function overviewPage(o: OverviewOptions): string {
  const { pending, recent, dead } = o.data;
  const [top, bottom] = killSwitchPlaces(o.banner);
  return page(
    pending.length ? `(${pending.length}) SRE Agent` : 'SRE Agent',
    html`${o.notice ? html`<div class="card ok" role="status">${o.notice}</div>` : ''}${top}${dead > 0 ? html`<div class="card error" role="alert"><a href="/sre/notifications">${dead} notification${dead === 1 ? '' : 's'} could not be delivered</a></div>` : ''}
${statusStrip(o)}
<div class="columns"><div class="col-main">
<section aria-labelledby="h-pending"><h1 id="h-pending">Waiting for a decision <span class="count">${pending.length}</span></h1>
${pending.length === 0 ? html`<p class="card calm">Nothing waits for a decision.</p>` : ''}
${pending.map((p) => pendingCard(p, o))}</section>
${bottom}
<section class="card" aria-labelledby="h-recent"><h2 id="h-recent">Recently decided</h2>
${recent.length === 0 ? html`<p class="meta">Nothing decided yet.</p>` : html`<ul class="incidents recent">${recent.map(
    (p) => html`<li data-proposal="${p.id}"><div><a href="/sre/proposals/${encodeURIComponent(p.id)}">${actionInWords(p.action, p.params)}</a></div>
<div class="meta">${statusPill(p.status)} ${riskBadge(p.risk_score, o.policy)} · ${whoDecided(p)} ${timeAgo(p.decided_at ?? p.created_at, o.now)}</div></li>`,
  )}</ul>`}</section>
</div><div class="col-side">${openSection(o)}${daySection(o)}</div></div>`,
    { nav: nav(o.user, o.csrf, '/sre') },
  );
}
