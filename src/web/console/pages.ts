import type { AwaitingIncident } from '../../proposals/awaiting.js';
import type { ProposalView } from '../../proposals/types.js';
import { html, page, type Html } from './html.js';
import { decisionVerbs, proposalSummary, statusText } from './views.js';

/** Pure page renderers for the console: data in, HTML out. Every value passes through `html`. */

export interface AuditRowView {
  seq: number;
  occurredAt: Date;
  source: string;
  kind: string;
  actorType: string;
  actor: string;
  incidentId: string | null;
  proposalId: string | null;
  payload: Record<string, unknown>;
}

export interface DeadNotification {
  id: number;
  channel: string;
  kind: string;
  proposalId: string | null;
  incidentId: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
}

export function nav(user: string, csrf: string): Html {
  return html`<header><a href="/sre">Pending</a><a href="/sre/audit">Audit log</a><a href="/sre/notifications">Notifications</a>
<form method="post" action="/sre/logout"><input type="hidden" name="csrf" value="${csrf}"><span class="meta" style="color:#ccc">${user}</span> <button type="submit">Sign out</button></form></header>`;
}

export function loginPage(csrf: string, next: string, error?: string, opts: { local?: boolean } = {}): string {
  return page(
    'Sign in',
    html`<div class="card"><h1>SRE console</h1>${error ? html`<p class="card error">${error}</p>` : ''}
${opts.local ? html`<p>No operator tokens are configured (SRE_API_TOKENS), so the agent printed a sign-in link in its first log lines: open it, or paste its token below. Set SRE_API_TOKENS to give people their own names.</p>` : ''}
<form method="post" action="/sre/login"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
<p><label>${opts.local ? 'Token from the sign-in link' : 'Operator token (from SRE_API_TOKENS)'}<br><input type="password" name="token" autocomplete="current-password" required style="width:100%"></label></p>
<p><button type="submit" class="approve">Sign in</button></p></form></div>`,
  );
}

export function decisionForm(p: ProposalView, csrf: string): Html {
  const verbs = decisionVerbs(p);
  return html`<form method="post" action="/sre/proposals/${encodeURIComponent(p.id)}/decision" class="actions">
<input type="hidden" name="csrf" value="${csrf}">
<input type="text" name="reason" maxlength="500" placeholder="Reason (optional)" aria-label="Reason">
<button type="submit" name="decision" value="approve" class="approve">${verbs.approve}</button>
<button type="submit" name="decision" value="reject" class="reject">${verbs.reject}</button></form>`;
}

export function pendingPage(opts: { user: string; csrf: string; pending: ProposalView[]; recent: ProposalView[]; dead: number; reasoning?: AwaitingIncident[]; banner?: Html; mode?: 'live' | 'shadow' }): string {
  const { pending } = opts;
  const reasoning = opts.reasoning ?? [];
  return page(
    'Pending proposals',
    html`${opts.banner ?? ''}${opts.mode === 'shadow' ? html`<div class="card shadow" data-mode="shadow" role="status"><strong>The agent runs in shadow mode</strong> (SRE_MODE=shadow): it proposes and asks, and executes nothing.</div>` : ''}${opts.dead > 0 ? html`<div class="card error"><a href="/sre/notifications">${opts.dead} notification${opts.dead === 1 ? '' : 's'} could not be delivered</a></div>` : ''}
<h1>Pending proposals (${pending.length})</h1>
${pending.length === 0 ? html`<p class="card">Nothing waits for a decision.</p>` : ''}
${pending.map((p) => html`<article class="card" data-proposal="${p.id}">${proposalSummary(p, { link: true })}${decisionForm(p, opts.csrf)}</article>`)}
${reasoning.length > 0 ? html`<h2>Awaiting a proposal (${reasoning.length})</h2>${reasoning.map((i) => html`<p class="card${i.lateness.late ? ' error' : ''}" data-incident="${i.id}">${i.type} · ${i.subject}: ${i.lateness.text}</p>`)}` : ''}
<h2>Recent</h2><div class="scroll"><table><thead><tr><th>proposal</th><th>status</th><th>risk</th><th>decided by</th></tr></thead><tbody>
${opts.recent.map(
  (p) => html`<tr><td><a href="/sre/proposals/${encodeURIComponent(p.id)}">${p.action} on ${p.target}</a></td><td>${statusText(p.status)}</td><td>${p.risk_score}</td><td>${p.decided_by ?? ''}</td></tr>`,
)}</tbody></table></div>`,
    { nav: nav(opts.user, opts.csrf) },
  );
}

function payloadText(payload: Record<string, unknown>): string {
  const s = JSON.stringify(payload);
  return s.length > 400 ? `${s.slice(0, 399)}…` : s;
}

export function timelineList(rows: AuditRowView[]): Html {
  return html`<ul class="timeline">${rows.map(
    (r) => html`<li data-kind="${r.kind}"><span class="meta">${r.occurredAt.toISOString()}</span> <strong>${r.kind}</strong> · ${r.actor}${
      r.proposalId ? html` · <a href="/sre/proposals/${encodeURIComponent(r.proposalId)}">${r.proposalId}</a>` : ''
    }<div class="pre">${payloadText(r.payload)}</div></li>`,
  )}</ul>`;
}

export function proposalPage(opts: { user: string; csrf: string; proposal: ProposalView; timeline: AuditRowView[]; others: ProposalView[]; notice?: string; error?: string; banner?: Html }): string {
  const p = opts.proposal;
  return page(
    `${p.action} on ${p.target}`,
    html`${opts.banner ?? ''}${opts.notice ? html`<div class="card ok" role="status">${opts.notice}</div>` : ''}${opts.error ? html`<div class="card error" role="alert">${opts.error}</div>` : ''}
<article class="card" data-proposal="${p.id}">${proposalSummary(p)}${p.status === 'pending' ? decisionForm(p, opts.csrf) : ''}</article>
${opts.others.length > 1 ? html`<div class="card"><h3>Proposals for this incident</h3><ul>${opts.others.map((o) => html`<li><a href="/sre/proposals/${encodeURIComponent(o.id)}">${o.action} on ${o.target}</a> — ${statusText(o.status)}</li>`)}</ul></div>` : ''}
<div class="card"><h3>Incident timeline</h3>${timelineList(opts.timeline)}
<p><a href="/sre/audit?incident=${encodeURIComponent(p.incident_id)}">Audit log for this incident</a></p></div>`,
    { nav: nav(opts.user, opts.csrf) },
  );
}

export interface AuditQuery {
  source: string;
  kind: string;
  incident: string;
  actor: string;
  since: string;
  until: string;
}

export function auditPage(opts: { user: string; csrf: string; query: AuditQuery; rows: AuditRowView[]; limit: number; csvHref: string; error?: string }): string {
  const q = opts.query;
  const field = (name: keyof AuditQuery, label: string, type = 'text') =>
    html`<label>${label}<input type="${type}" name="${name}" value="${q[name]}"></label>`;
  return page(
    'Audit log',
    html`<h1>Audit log</h1>${opts.error ? html`<div class="card error" role="alert">${opts.error}</div>` : ''}
<form method="get" action="/sre/audit" class="card filters">
${field('source', 'Source')}${field('kind', 'Kind')}${field('incident', 'Incident')}${field('actor', 'Operator')}
${field('since', 'Since (UTC)', 'datetime-local')}${field('until', 'Until (UTC)', 'datetime-local')}
<button type="submit">Filter</button> <a href="/sre/audit">Clear</a></form>
<p><a href="${opts.csvHref}" download>Export these rows as CSV</a> <span class="meta">(showing the newest ${opts.limit} on this page; the export has all of them)</span></p>
<div class="scroll"><table><thead><tr><th>#</th><th>time</th><th>source</th><th>kind</th><th>operator</th><th>incident</th><th>payload</th></tr></thead><tbody>
${opts.rows.map(
  (r) => html`<tr data-kind="${r.kind}"><td>${r.seq}</td><td>${r.occurredAt.toISOString()}</td><td>${r.source}</td><td>${r.kind}</td><td>${r.actor}</td><td>${
    r.incidentId ? html`<a href="/sre/audit?incident=${encodeURIComponent(r.incidentId)}">${r.incidentId}</a>` : ''
  }</td><td><div class="pre">${payloadText(r.payload)}</div></td></tr>`,
)}</tbody></table></div>${opts.rows.length === 0 ? html`<p class="card">No rows match.</p>` : ''}`,
    { nav: nav(opts.user, opts.csrf) },
  );
}

export function notificationsPage(opts: { user: string; csrf: string; dead: DeadNotification[] }): string {
  return page(
    'Notifications',
    html`<h1>Undeliverable notifications (${opts.dead.length})</h1>
<p class="meta">These gave up after their retries or failed permanently. The proposals they were about are still decidable here.</p>
<div class="scroll"><table><thead><tr><th>#</th><th>channel</th><th>kind</th><th>proposal</th><th>attempts</th><th>last error</th><th>created</th></tr></thead><tbody>
${opts.dead.map(
  (n) => html`<tr><td>${n.id}</td><td>${n.channel}</td><td>${n.kind}</td><td>${n.proposalId ? html`<a href="/sre/proposals/${encodeURIComponent(n.proposalId)}">${n.proposalId}</a>` : ''}</td><td>${n.attempts}</td><td>${n.lastError ?? ''}</td><td>${n.createdAt.toISOString()}</td></tr>`,
)}</tbody></table></div>`,
    { nav: nav(opts.user, opts.csrf) },
  );
}

export function messagePage(title: string, text: string, status: 'error' | 'ok' = 'error', navHtml?: Html): string {
  return page(title, html`<div class="card ${status}"><h1>${title}</h1><p>${text}</p><p><a href="/sre">Back to the console</a></p></div>`, { nav: navHtml });
}
