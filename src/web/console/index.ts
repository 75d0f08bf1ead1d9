import type { IncomingMessage, ServerResponse } from 'node:http';
import { and, desc, eq } from 'drizzle-orm';
import { auditWhere, exportAuditCsv, type AuditFilter } from '../../audit/export.js';
import { schema } from '../../db/client.js';
import { httpStatusOf, isDomainError } from '../../domain/errors.js';
import { DEFAULT_REPORT_WINDOW, agentStatus, decide, pause, resume, tuningReport, type ServiceDeps } from '../../proposals/index.js';
import { killSwitchPanel } from './kill-switch.js';
import type { AuthBrake } from '../brake.js';
import { routeDecideLink } from '../decide-links.js';
import { BodyTooLarge, cookie, foreignOrigin, hostAllowed, nonce, parseCookies, readForm, redirect, safeEqual, sendHtml, sign } from './http.js';
import { reportPage } from './report-page.js';
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
  /**
   * No SRE_API_TOKENS: `apiTokens` holds the process's one-time token of the operator `local`,
   * and GET /sre/login?token=… (the link printed at start) signs in with it.
   */
  signInLink?: boolean;
  /** Slows repeated wrong tokens from one address (shared with the JSON API). */
  brake?: AuthBrake;
  /** The kill switch's state for the overview; unset: read from the database (agent_switch). */
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
  const pages = createPages({
    deps,
    publicBaseUrl: base,
    pauseState:
      opts.pauseState ??
      (async () => {
        const st = await agentStatus(deps);
        return { paused: st.paused, by: st.paused_by, reason: st.paused_reason, at: st.paused_at };
      }),
    killSwitch: async (csrf) => killSwitchPanel(await agentStatus(deps), csrf),
  });

  function session(req: IncomingMessage): Session | undefined {
    const s = decodeSession(secret, parseCookies(req.headers)[SESSION_COOKIE], deps.clock.now().getTime());
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

  function csrfOk(f: Record<string, string>, expected: string): boolean {
    return typeof f.csrf === 'string' && safeEqual(f.csrf, expected);
  }

  /** A POST from another origin: answered with a page naming both origins, and logged (origins are not secrets). */
  function refuseForeignOrigin(req: IncomingMessage, res: ServerResponse): boolean {
    const seen = foreignOrigin(req.headers, base);
    if (seen === undefined) return false;
    const configured = new URL(base).origin;
    log.warn({ seen_origin: seen, configured_origin: configured, path: req.url?.split('?')[0] }, 'console form sent from another origin refused');
    sendHtml(
      res,
      403,
      messagePage(
        'Sent from another address',
        `This form was sent from ${seen}, but the console is configured for ${configured} (PUBLIC_BASE_URL). Open ${configured}/sre and try again, or set PUBLIC_BASE_URL to the address you use. Nothing was changed.`,
      ),
    );
    return true;
  }

  /** Seconds this address must wait, having answered 429 when it must. */
  function throttled(req: IncomingMessage, res: ServerResponse): boolean {
    const wait = opts.brake ? opts.brake.retryAfter(opts.brake.address(req)) : 0;
    if (wait === 0) return false;
    opts.brake?.throttled('console');
    sendHtml(res, 429, messagePage('Too many attempts', `Too many wrong tokens came from your address. Wait ${wait} seconds, then try again.`), { headers: { 'retry-after': String(wait) } });
    return true;
  }

  function signIn(res: ServerResponse, user: string, next: string, via: 'form' | 'link') {
    log.info({ operator: user, via }, 'console sign-in');
    redirect(res, next, {
      'set-cookie': [cookie(SESSION_COOKIE, encodeSession(secret, user, deps.clock.now().getTime()), { path: '/sre', secure, maxAgeS: SESSION_TTL_MS / 1000 }), cookie(LOGIN_COOKIE, '', { path: '/sre', secure, maxAgeS: 0 })],
    });
  }

  /** GET /sre/login?token=…: the start-up link when there are no operator tokens; refused otherwise. */
  async function linkSignIn(req: IncomingMessage, res: ServerResponse, url: URL) {
    const next = safeNext(url.searchParams.get('next') ?? undefined);
    if (!opts.signInLink) {
      log.warn('console token in a query string refused');
      return showLogin(req, res, next, 400, 'Tokens do not belong in addresses: they end up in browser history and proxy logs. Paste your operator token (SRE_API_TOKENS) into the form below, and rotate it if that was a real one.');
    }
    if (throttled(req, res)) return;
    const user = matchToken(opts.apiTokens, url.searchParams.get('token') ?? '');
    if (!user) {
      opts.brake?.fail(opts.brake.address(req), 'console');
      log.warn('console sign-in link refused');
      return showLogin(req, res, next, 401, 'This sign-in link is not valid (any more). A link lasts until the agent stops: after a restart, open the new one from the agent\'s first log lines ("console: open …").');
    }
    // The redirect drops the token from the address bar (and from any Referer after it).
    signIn(res, user, next, 'link');
  }

  async function showLogin(req: IncomingMessage, res: ServerResponse, next: string, status = 200, error?: string) {
    const existing = parseCookies(req.headers)[LOGIN_COOKIE];
    const n = existing && /^[A-Za-z0-9_-]{24}$/.test(existing) ? existing : nonce();
    sendHtml(res, status, loginPage(sign(secret, 'login-csrf', n), next, error, { local: opts.signInLink === true }), {
      head: req.method === 'HEAD',
      headers: existing === n ? {} : { 'set-cookie': cookie(LOGIN_COOKIE, n, { path: '/sre', secure, maxAgeS: 3600 }) },
    });
  }

  async function login(req: IncomingMessage, res: ServerResponse) {
    const f = await form(req, res);
    if (!f) return;
    if (refuseForeignOrigin(req, res)) return;
    const n = parseCookies(req.headers)[LOGIN_COOKIE];
    if (!n || !csrfOk(f, sign(secret, 'login-csrf', n))) return showLogin(req, res, safeNext(f.next), 403, 'The sign-in form expired (or cookies are off for this site). Try again.');
    if (throttled(req, res)) return;
    const user = matchToken(opts.apiTokens, f.token ?? '');
    if (!user) {
      opts.brake?.fail(opts.brake.address(req), 'console');
      log.warn('console sign-in refused');
      return showLogin(req, res, safeNext(f.next), 401, 'That token is not valid.');
    }
    signIn(res, user, safeNext(f.next), 'form');
  }

  async function proposalView(res: ServerResponse, s: Session, id: string, head: boolean, extra: { notice?: string; error?: string; status?: number } = {}) {
    await pages.proposal(res, { user: s.user, csrf: csrfToken(secret, s), head }, id, extra);
  }

  async function decision(req: IncomingMessage, res: ServerResponse, s: Session, id: string) {
    const f = await form(req, res);
    if (!f) return;
    if (refuseForeignOrigin(req, res)) return;
    if (!csrfOk(f, csrfToken(secret, s))) return sendHtml(res, 403, messagePage('Form expired', 'Reload the page and try again. Nothing was changed.', 'error', nav(s.user, csrfToken(secret, s))));
    if (f.decision !== 'approve' && f.decision !== 'reject') return proposalView(res, s, id, false, { status: 400, error: 'Choose approve or reject.' });
    try {
      const after = await decide(deps, { proposalId: id, decision: f.decision, reason: f.reason?.trim() || undefined, actor: { type: 'user', name: s.user, via: 'console' } });
      const done = after.status === 'rejected' ? 'rejected' : after.status === 'pending' ? 'recorded' : 'approved';
      redirect(res, `/sre/proposals/${encodeURIComponent(id)}?done=${done}`);
    } catch (e) {
      if (!isDomainError(e)) throw e;
      const status = httpStatusOf(e);
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

  /** POST /sre/pause {reason} and /sre/resume: the kill switch, as the signed-in operator. */
  async function killSwitch(req: IncomingMessage, res: ServerResponse, s: Session, verb: 'pause' | 'resume') {
    const f = await form(req, res);
    if (!f) return;
    if (refuseForeignOrigin(req, res)) return;
    const navHtml = nav(s.user, csrfToken(secret, s));
    if (!csrfOk(f, csrfToken(secret, s))) return sendHtml(res, 403, messagePage('Form expired', 'Reload the page and try again. Nothing was changed.', 'error', navHtml));
    const actor = { type: 'user', name: s.user, via: 'console' } as const;
    try {
      if (verb === 'pause') await pause(deps, { reason: f.reason ?? '', actor });
      else await resume(deps, { actor });
    } catch (e) {
      if (!isDomainError(e)) throw e;
      return sendHtml(res, e.code === 'invalid' ? 400 : 409, messagePage(verb === 'pause' ? 'Not paused' : 'Not resumed', `${e.message} Nothing was changed.`, 'error', navHtml));
    }
    redirect(res, `/sre?done=${verb === 'pause' ? 'paused' : 'resumed'}`);
  }

  async function report(res: ServerResponse, s: Session, url: URL, head: boolean) {
    const since = (url.searchParams.get('since') ?? '').trim().slice(0, 40) || DEFAULT_REPORT_WINDOW;
    const page = { user: s.user, csrf: csrfToken(secret, s), since, currentThreshold: deps.policy.riskThreshold };
    try {
      sendHtml(res, 200, reportPage({ ...page, report: await tuningReport(deps, { since }) }), { head });
    } catch (e) {
      if (!isDomainError(e) || e.code !== 'invalid') throw e;
      sendHtml(res, 400, reportPage({ ...page, error: e.message }), { head });
    }
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
    if (!hostAllowed(req.headers, base)) {
      // Another Host is how DNS rebinding reaches a console on localhost; say where it lives instead.
      const configured = new URL(base).origin;
      log.warn({ host: String(req.headers.host ?? '').slice(0, 200), configured_origin: configured }, 'console reached through another Host refused');
      sendHtml(res, 421, messagePage('Wrong address', `This console lives at ${configured} (PUBLIC_BASE_URL), not at the address you used. Open ${configured}/sre, or set PUBLIC_BASE_URL to the address you reach it by.`), { head });
      return true;
    }
    if (path === '/sre/login') {
      if (read && url.searchParams.has('token')) await linkSignIn(req, res, url);
      else if (read) await showLogin(req, res, safeNext(url.searchParams.get('next') ?? undefined));
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
      if (refuseForeignOrigin(req, res)) return true;
      if (!csrfOk(f, csrfToken(secret, s))) sendHtml(res, 403, messagePage('Form expired', 'Reload the page and try again.'));
      else redirect(res, '/sre/login', { 'set-cookie': cookie(SESSION_COOKIE, '', { path: '/sre', secure, maxAgeS: 0 }) });
      return true;
    }
    if (read && (await pages.serve(res, path, url, { user: s.user, csrf: csrfToken(secret, s), head }))) return true;
    const m = /^\/sre\/proposals\/([A-Za-z0-9_-]{1,100})(\/decision)?$/.exec(path);
    if (read && path === '/sre/audit') await audit(req, res, s, url);
    else if (method === 'GET' && path === '/sre/audit.csv') await auditCsv(res, s, url);
    else if (read && path === '/sre/notifications') await notifications(res, s, head);
    else if (read && path === '/sre/report') await report(res, s, url, head);
    else if (m && m[2] && method === 'POST') await decision(req, res, s, m[1]!);
    else if ((path === '/sre/pause' || path === '/sre/resume') && method === 'POST') await killSwitch(req, res, s, path === '/sre/pause' ? 'pause' : 'resume');
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
