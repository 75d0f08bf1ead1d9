import type { IncomingMessage, ServerResponse } from 'node:http';
import { and, desc, eq } from 'drizzle-orm';
import { auditWhere, exportAuditCsv, type AuditFilter } from '../../audit/export.js';
import { schema } from '../../db/client.js';
import { isDomainError } from '../../domain/errors.js';
import { decide } from '../../proposals/decide.js';
import type { ServiceDeps } from '../../proposals/types.js';
import { routeDecideLink } from '../decide-links.js';
import { BodyTooLarge, cookie, nonce, parseCookies, readForm, redirect, safeEqual, sameOrigin, sendHtml, sign } from './http.js';
import { auditPage, loginPage, messagePage, nav, notificationsPage, type AuditQuery } from './pages.js';
import type { PauseState } from './pages/data.js';
import { createPages } from './pages/index.js';
import { csrfToken, decodeSession, encodeSession, matchToken, SESSION_COOKIE, SESSION_TTL_MS, type Session } from './session.js';

/**
 * The operator console under /sre: server-rendered, no script, CSRF on every POST, a signed
 * HttpOnly SameSite=Strict session cookie. Thin: each route parses input and calls one verb.
 */

export interface ConsoleOptions {
  deps: ServiceDeps;
  apiTokens: { name: string; token: string }[];
  sessionSecret: string;
  publicBaseUrl: string;
  /** When set, /sre/decide/:token (email links) is served here too. */
  linkSecret?: string;
  /** The kill switch's state for the overview; unset: "not paused". */
  pauseState?: () => Promise<PauseState>;
}

export interface Console {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

const LOGIN_COOKIE = 'sre_login';
const AUDIT_PAGE_ROWS = 200;

function safeNext(v: string | undefined): string {
  return v && /^\/sre(\/[A-Za-z0-9_\-/.]*)?(\?[A-Za-z0-9_\-=&%.:]*)?$/.test(v) && !v.includes('//') ? v : '/sre';
}

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

export function createConsole(opts: ConsoleOptions): Console {
  const { deps } = opts;
  const base = opts.publicBaseUrl.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  const secret = opts.sessionSecret;
  const log = deps.logger.child({ component: 'console' });
  // The SRE Agent pages (overview, incidents, proposal) live in ./pages/: reads only.
  const pages = createPages({ deps, publicBaseUrl: base, pauseState: opts.pauseState });

  function session(req: IncomingMessage): Session | undefined {
    const s = decodeSession(secret, parseCookies(req.headers)[SESSION_COOKIE], deps.now().getTime());
    // A token removed from SRE_API_TOKENS ends that operator's sessions.
    return s && opts.apiTokens.some((t) => t.name === s.user) ? s : undefined;
  }

  async function form(req: IncomingMessage, res: ServerResponse): Promise<Record<string, string> | undefined> {
    try {
      return await readForm(req);
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) throw e;
      sendHtml(res, 413, messagePage('Too large', 'The form was too large. Nothing was changed.'));
      return undefined;
    }
  }

  function csrfOk(req: IncomingMessage, f: Record<string, string>, expected: string): boolean {
    return sameOrigin(req.headers, base) && typeof f.csrf === 'string' && safeEqual(f.csrf, expected);
  }

  async function showLogin(req: IncomingMessage, res: ServerResponse, next: string, status = 200, error?: string) {
    const existing = parseCookies(req.headers)[LOGIN_COOKIE];
    const n = existing && /^[A-Za-z0-9_-]{24}$/.test(existing) ? existing : nonce();
    sendHtml(res, status, loginPage(sign(secret, 'login-csrf', n), next, error), {
      head: req.method === 'HEAD',
      headers: existing === n ? {} : { 'set-cookie': cookie(LOGIN_COOKIE, n, { path: '/sre', secure, maxAgeS: 3600 }) },
    });
  }

  async function login(req: IncomingMessage, res: ServerResponse) {
    const f = await form(req, res);
    if (!f) return;
    const n = parseCookies(req.headers)[LOGIN_COOKIE];
    if (!n || !csrfOk(req, f, sign(secret, 'login-csrf', n))) return showLogin(req, res, safeNext(f.next), 403, 'The sign-in form expired. Try again.');
    const user = matchToken(opts.apiTokens, f.token ?? '');
    if (!user) {
      log.warn('console sign-in refused');
      return showLogin(req, res, safeNext(f.next), 401, 'That token is not valid.');
    }
    log.info({ operator: user }, 'console sign-in');
    redirect(res, safeNext(f.next), {
      'set-cookie': [cookie(SESSION_COOKIE, encodeSession(secret, user, deps.now().getTime()), { path: '/sre', secure, maxAgeS: SESSION_TTL_MS / 1000 }), cookie(LOGIN_COOKIE, '', { path: '/sre', secure, maxAgeS: 0 })],
    });
  }

  async function proposalView(res: ServerResponse, s: Session, id: string, head: boolean, extra: { notice?: string; error?: string; status?: number } = {}) {
    await pages.proposal(res, { user: s.user, csrf: csrfToken(secret, s), head }, id, extra);
  }

  async function decision(req: IncomingMessage, res: ServerResponse, s: Session, id: string) {
    const f = await form(req, res);
    if (!f) return;
    if (!csrfOk(req, f, csrfToken(secret, s))) return sendHtml(res, 403, messagePage('Form expired', 'Reload the page and try again. Nothing was changed.', 'error', nav(s.user, csrfToken(secret, s))));
    if (f.decision !== 'approve' && f.decision !== 'reject') return proposalView(res, s, id, false, { status: 400, error: 'Choose approve or reject.' });
    try {
      const after = await decide(deps, { proposalId: id, decision: f.decision, reason: f.reason?.trim() || undefined, actor: { type: 'user', name: s.user, via: 'console' } });
      redirect(res, `/sre/proposals/${encodeURIComponent(id)}?done=${after.status === 'rejected' ? 'rejected' : 'approved'}`);
    } catch (e) {
      if (!isDomainError(e)) throw e;
      const status = e.code === 'already_decided' ? 409 : e.code === 'not_found' ? 404 : e.code === 'forbidden' ? 403 : 400;
      const by = typeof e.details?.decided_by === 'string' ? ` by ${e.details.decided_by}` : '';
      return proposalView(res, s, id, false, { status, error: e.code === 'already_decided' ? `Already decided${by}. Nothing was changed.` : e.message });
    }
  }

  async function audit(req: IncomingMessage, res: ServerResponse, s: Session, url: URL) {
    const { query, filter, error } = auditQueryFrom(url);
    const t = schema.sreActions;
    const rows = error ? [] : await deps.db.select().from(t).where(and(...auditWhere(filter))).orderBy(desc(t.seq)).limit(AUDIT_PAGE_ROWS);
    const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '')).toString();
    sendHtml(res, error ? 400 : 200, auditPage({ user: s.user, csrf: csrfToken(secret, s), query, rows, limit: AUDIT_PAGE_ROWS, csvHref: `/sre/audit.csv${qs ? `?${qs}` : ''}`, error }), { head: req.method === 'HEAD' });
  }

  async function auditCsv(res: ServerResponse, s: Session, url: URL) {
    const { filter, error } = auditQueryFrom(url);
    if (error) return sendHtml(res, 400, messagePage('Bad filter', error, 'error', nav(s.user, csrfToken(secret, s))));
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="sre-audit.csv"', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    for await (const chunk of exportAuditCsv(deps.db, filter, { copyClient: deps.copyClient })) {
      if (!res.write(chunk)) await new Promise<void>((r) => res.once('drain', r));
    }
    res.end();
  }

  async function notifications(res: ServerResponse, s: Session, head: boolean) {
    const o = schema.outbox;
    const dead = await deps.db.select().from(o).where(eq(o.status, 'dead')).orderBy(desc(o.id)).limit(200);
    sendHtml(res, 200, notificationsPage({ user: s.user, csrf: csrfToken(secret, s), dead }), { head });
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path !== '/sre' && !path.startsWith('/sre/')) return false;
    if (path.startsWith('/sre/decide/') || path === '/sre/decide') {
      if (!opts.linkSecret) {
        sendHtml(res, 404, messagePage('Email links are off', 'This installation does not send decision links.'));
        return true;
      }
      return routeDecideLink(req, res, url, { deps, linkSecret: opts.linkSecret, publicBaseUrl: base });
    }
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    const head = method === 'HEAD';
    if (path === '/sre/login') {
      if (read) await showLogin(req, res, safeNext(url.searchParams.get('next') ?? undefined));
      else if (method === 'POST') await login(req, res);
      else sendHtml(res, 405, messagePage('Method not allowed', 'Use the sign-in form.'));
      return true;
    }
    const s = session(req);
    if (!s) {
      if (read) redirect(res, `/sre/login?next=${encodeURIComponent(safeNext(url.pathname + url.search))}`);
      else sendHtml(res, 401, messagePage('Signed out', 'Sign in again. Nothing was changed.'));
      return true;
    }
    if (path === '/sre/logout' && method === 'POST') {
      const f = await form(req, res);
      if (!f) return true;
      if (!csrfOk(req, f, csrfToken(secret, s))) sendHtml(res, 403, messagePage('Form expired', 'Reload the page and try again.'));
      else redirect(res, '/sre/login', { 'set-cookie': cookie(SESSION_COOKIE, '', { path: '/sre', secure, maxAgeS: 0 }) });
      return true;
    }
    if (read && (await pages.serve(res, path, url, { user: s.user, csrf: csrfToken(secret, s), head }))) return true;
    const m = /^\/sre\/proposals\/([A-Za-z0-9_-]{1,100})(\/decision)?$/.exec(path);
    if (read && path === '/sre/audit') await audit(req, res, s, url);
    else if (method === 'GET' && path === '/sre/audit.csv') await auditCsv(res, s, url);
    else if (read && path === '/sre/notifications') await notifications(res, s, head);
    else if (m && m[2] && method === 'POST') await decision(req, res, s, m[1]!);
    else sendHtml(res, 404, messagePage('Not found', 'There is no such page.', 'error', nav(s.user, csrfToken(secret, s))), { head });
    return true;
  }

  return {
    async handle(req, res, url) {
      try {
        return await route(req, res, url);
      } catch (e) {
        const ref = nonce().slice(0, 8);
        log.error({ err: e, ref }, 'console request failed');
        if (!res.headersSent) sendHtml(res, 500, messagePage('Something went wrong', `Nothing was changed. Reference ${ref}.`));
        else res.destroy();
        return true;
      }
    },
  };
}
