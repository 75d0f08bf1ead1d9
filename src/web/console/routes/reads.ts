import { traceLink } from '../../../telemetry/index.js';
import { auditWhere, exportAuditCsv, type AuditFilter } from '../../../audit/export.js';
import { isDomainError } from '../../../domain/errors.js';
import { DEFAULT_REPORT_WINDOW, deadNotifications, incidentReport, incidentSilence, incidentTraceId, listAuditRows, tuningReport } from '../../../proposals/index.js';
import { sendHtml } from '../http.js';
import { auditPage, messagePage, nav, notificationsPage, type AuditQuery } from '../pages.js';
import { incidentReportPage } from '../incident-report-page.js';
import { reportPage } from '../report-page.js';
import type { SignedInRequest } from './types.js';

/** The console's read-only pages beyond the SRE Agent pages: audit log (and its CSV), notifications, report. */

const AUDIT_PAGE_ROWS = 200;
const DEAD_NOTIFICATION_ROWS = 200;

function parseTime(v: string): Date | undefined | 'bad' {
  if (!v) return undefined;
  // datetime-local has no zone: the console's times are UTC.
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(d.getTime()) ? 'bad' : d;
}

export function auditQueryFrom(url: URL): { query: AuditQuery; filter: AuditFilter; error?: string } {
  const get = (k: string) => (url.searchParams.get(k) ?? '').trim().slice(0, 200);
  const query: AuditQuery = { source: get('source'), kind: get('kind'), incident: get('incident'), actor: get('actor'), since: get('since'), until: get('until') };
  const since = parseTime(query.since);
  const until = parseTime(query.until);
  const filter: AuditFilter = {
    source: query.source || undefined,
    kind: query.kind || undefined,
    incidentId: query.incident || undefined,
    actor: query.actor || undefined,
    since: since instanceof Date ? since : undefined,
    until: until instanceof Date ? until : undefined,
  };
  const error = since === 'bad' || until === 'bad' ? 'Times must look like 2026-11-25T10:00 (UTC) or an ISO timestamp.' : undefined;
  return { query, filter, error };
}

/** GET /sre/audit: the newest rows that match the filters. */
export async function audit({ app, res, url, viewer, head }: SignedInRequest): Promise<void> {
  const { query, filter, error } = auditQueryFrom(url);
  const rows = error ? [] : await listAuditRows(app.deps, { where: auditWhere(filter), limit: AUDIT_PAGE_ROWS });
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '')).toString();
  sendHtml(res, error ? 400 : 200, auditPage({ user: viewer.user, csrf: viewer.csrf, query, rows, limit: AUDIT_PAGE_ROWS, csvHref: `/sre/audit.csv${qs ? `?${qs}` : ''}`, error }), { head });
}

/** GET /sre/audit.csv: every matching row, streamed. */
export async function auditCsv({ app, res, url, viewer }: SignedInRequest): Promise<void> {
  const { filter, error } = auditQueryFrom(url);
  if (error) return sendHtml(res, 400, messagePage('Bad filter', error, 'error', nav(viewer.user, viewer.csrf)));
  res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="sre-audit.csv"', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  for await (const chunk of exportAuditCsv(app.deps.db, filter, { copyClient: app.deps.copyClient })) {
    if (!res.write(chunk)) await new Promise<void>((r) => res.once('drain', r));
  }
  res.end();
}

/** GET /sre/notifications: the ones that gave up. */
export async function notifications({ app, res, viewer, head }: SignedInRequest): Promise<void> {
  const dead = await deadNotifications(app.deps, { limit: DEAD_NOTIFICATION_ROWS });
  sendHtml(res, 200, notificationsPage({ user: viewer.user, csrf: viewer.csrf, dead }), { head });
}

/** GET /sre/report?since=…: the tuning report. */
export async function report({ app, res, url, viewer, head }: SignedInRequest): Promise<void> {
  const since = (url.searchParams.get('since') ?? '').trim().slice(0, 40) || DEFAULT_REPORT_WINDOW;
  const page = { user: viewer.user, csrf: viewer.csrf, since, currentThreshold: app.deps.policy.riskThreshold };
  try {
    sendHtml(res, 200, reportPage({ ...page, report: await tuningReport(app.deps, { since }) }), { head });
  } catch (e) {
    if (!isDomainError(e) || e.code !== 'invalid') throw e;
    sendHtml(res, 400, reportPage({ ...page, error: e.message }), { head });
  }
}

/** GET /sre/incidents/:id/report: the incident report as a page; 404 for no such incident. */
export async function incidentReportRoute({ app, res, url, viewer, head, params }: SignedInRequest): Promise<void> {
  try {
    const [report, traceId] = await Promise.all([
      incidentReport(app.deps, { id: params.id!, narrative: url.searchParams.get('narrative') === '1' }),
      incidentTraceId(app.deps, { incidentId: params.id! }),
    ]);
    const silence = await incidentSilence(app.deps, report.incident.id);
    sendHtml(res, 200, incidentReportPage({ user: viewer.user, csrf: viewer.csrf, report, silence, traceLink: traceLink(app.opts.traceUrl, traceId) }), { head });
  } catch (e) {
    if (!isDomainError(e) || e.code !== 'not_found') throw e;
    sendHtml(res, 404, messagePage('Not found', e.message, 'error', nav(viewer.user, viewer.csrf)), { head });
  }
}
