import { type ProposalView } from '../../proposals/index.js';
import { html, page, type Html } from './html.js';
import { decisionVerbs } from './views.js';

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

const NAV = [
  ['/sre', 'Overview'],
  ['/sre/incidents', 'Incidents'],
  ['/sre/audit', 'Audit log'],
  ['/sre/notifications', 'Notifications'],
  ['/sre/report', 'Report'],
  ['/sre/silences', 'Silences'],
] as const;

export function nav(user: string, csrf: string, current = ''): Html {
  return html`<header><a class="brand" href="/sre">SRE Agent</a><nav aria-label="Console">${NAV.map(
    ([href, label]) => html`<a href="${href}"${href === current ? html` aria-current="page"` : ''}>${label}</a>`,
  )}</nav>
<form method="post" action="/sre/logout"><input type="hidden" name="csrf" value="${csrf}"><span class="who">${user}</span> <button type="submit">Sign out</button></form></header>`;
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
<button type="submit" name="decision" value="approve" class="approve" aria-label="${verbs.approve} ${p.action} on ${p.target}">${verbs.approve}</button>
<button type="submit" name="decision" value="reject" class="reject" aria-label="${verbs.reject} ${p.action} on ${p.target}">${verbs.reject}</button></form>`;
}

/**
 * Revert, for a succeeded reversible action not yet reverted: the reason is required when two
 * people approved it (as pausing needs one), optional otherwise.
 */
export function revertForm(p: ProposalView, csrf: string, reversible: boolean): Html | '' {
  if (!reversible || p.status !== 'succeeded' || p.reverted_by || p.mode === 'shadow') return '';
  const needed = p.approvals_required >= 2;
  return html`<form method="post" action="/sre/proposals/${encodeURIComponent(p.id)}/revert" class="actions">
<input type="hidden" name="csrf" value="${csrf}">
${needed ? html`<input type="text" name="reason" maxlength="500" required placeholder="Why revert? (required: two people approved it)" aria-label="Reason to revert">` : html`<input type="text" name="reason" maxlength="500" placeholder="Reason (optional)" aria-label="Reason to revert">`}
<button type="submit" class="reject" aria-label="Revert ${p.action} on ${p.target}">Revert</button></form>`;
}

function payloadText(payload: Record<string, unknown>): string {
  const s = JSON.stringify(payload);
  return s.length > 400 ? `${s.slice(0, 399)}…` : s;
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
    { nav: nav(opts.user, opts.csrf, '/sre/audit') },
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
    { nav: nav(opts.user, opts.csrf, '/sre/notifications') },
  );
}

export function messagePage(title: string, text: string, status: 'error' | 'ok' = 'error', navHtml?: Html): string {
  return page(title, html`<div class="card ${status}"><h1>${title}</h1><p>${text}</p><p><a href="/sre">Back to the console</a></p></div>`, { nav: navHtml });
}
