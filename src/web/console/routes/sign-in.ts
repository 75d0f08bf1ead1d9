import type { IncomingMessage, ServerResponse } from 'node:http';
import { cookie, nonce, parseCookies, redirect, sendHtml, sign } from '../http.js';
import { loginPage, messagePage } from '../pages.js';
import { revokeConsoleSession } from '../../../proposals/index.js';
import { encodeSession, matchToken, SESSION_COOKIE, SESSION_TTL_MS, sessionIdHash } from '../session.js';
import { refusedToken } from './guards.js';
import type { ConsoleApp, ConsoleRequest, SignedInRequest } from './types.js';

/** Signing in (the form, and the start-up link when there are no operator tokens) and out. */

const LOGIN_COOKIE = 'sre_login';

export function safeNext(v: string | undefined): string {
  return v && /^\/sre(\/[A-Za-z0-9_\-/.]*)?(\?[A-Za-z0-9_\-=&%.:]*)?$/.test(v) && !v.includes('//') ? v : '/sre';
}

/** The sign-in form's CSRF token, bound to the nonce in its cookie; undefined without that cookie. */
export function loginCsrf(app: ConsoleApp, req: IncomingMessage): string | undefined {
  const n = parseCookies(req.headers)[LOGIN_COOKIE];
  return n ? sign(app.secret, 'login-csrf', n) : undefined;
}

function showLogin(app: ConsoleApp, req: IncomingMessage, res: ServerResponse, next: string, status = 200, error?: string): void {
  const existing = parseCookies(req.headers)[LOGIN_COOKIE];
  const n = existing && /^[A-Za-z0-9_-]{24}$/.test(existing) ? existing : nonce();
  sendHtml(res, status, loginPage(sign(app.secret, 'login-csrf', n), next, error, { local: app.opts.signInLink === true }), {
    head: req.method === 'HEAD',
    headers: existing === n ? {} : { 'set-cookie': cookie(LOGIN_COOKIE, n, { path: '/sre', secure: app.secure, maxAgeS: 3600 }) },
  });
}

function signIn(app: ConsoleApp, res: ServerResponse, user: string, next: string, via: 'form' | 'link'): void {
  app.log.info({ operator: user, via }, 'console sign-in');
  redirect(res, next, {
    'set-cookie': [
      cookie(SESSION_COOKIE, encodeSession(app.secret, user, app.deps.clock.now().getTime()), { path: '/sre', secure: app.secure, maxAgeS: SESSION_TTL_MS / 1000 }),
      cookie(LOGIN_COOKIE, '', { path: '/sre', secure: app.secure, maxAgeS: 0 }),
    ],
  });
}

/** GET /sre/login: the form; with ?token=…, the start-up link when there are no operator tokens (refused otherwise). */
export function signInPage({ app, req, res, url }: ConsoleRequest): void {
  const next = safeNext(url.searchParams.get('next') ?? undefined);
  if (!url.searchParams.has('token')) return showLogin(app, req, res, next);
  if (!app.opts.signInLink) {
    app.log.warn('console token in a query string refused');
    return showLogin(app, req, res, next, 400, 'Tokens do not belong in addresses: they end up in browser history and proxy logs. Paste your operator token (SRE_API_TOKENS) into the form below, and rotate it if that was a real one.');
  }
  const user = matchToken(app.opts.apiTokens, url.searchParams.get('token') ?? '');
  if (!user) {
    if (refusedToken(app, req, res)) return;
    app.log.warn('console sign-in link refused');
    return showLogin(app, req, res, next, 401, 'This sign-in link is not valid (any more). A link lasts until the agent stops: after a restart, open the new one from the agent\'s first log lines ("console: open …").');
  }
  // The redirect drops the token from the address bar (and from any Referer after it).
  signIn(app, res, user, next, 'link');
}

/** POST /sre/login {token, next}: after the origin and CSRF checks, the token; a wrong one meets the brake. */
export function login({ app, req, res, form }: ConsoleRequest): void {
  const user = matchToken(app.opts.apiTokens, form.token ?? '');
  if (!user) {
    if (refusedToken(app, req, res)) return;
    app.log.warn('console sign-in refused');
    return showLogin(app, req, res, safeNext(form.next), 401, 'That token is not valid.');
  }
  signIn(app, res, user, safeNext(form.next), 'form');
}

export function loginExpired({ app, req, res, form }: ConsoleRequest): void {
  showLogin(app, req, res, safeNext(form.next), 403, 'The sign-in form expired (or cookies are off for this site). Try again.');
}

export function loginMethodNotAllowed({ res }: ConsoleRequest): void {
  sendHtml(res, 405, messagePage('Method not allowed', 'Use the sign-in form.'));
}

/** POST /sre/logout: the session ends on the server (a copy of the cookie stops working), then the cookie is cleared. */
export async function logout({ app, res, session }: SignedInRequest): Promise<void> {
  await revokeConsoleSession(app.deps, { sidHash: sessionIdHash(session), expiresAt: new Date(session.expiresAt) });
  app.log.info({ operator: session.user }, 'console sign-out');
  redirect(res, '/sre/login', { 'set-cookie': cookie(SESSION_COOKIE, '', { path: '/sre', secure: app.secure, maxAgeS: 0 }) });
}

export function logoutExpired({ res }: ConsoleRequest): void {
  sendHtml(res, 403, messagePage('Form expired', 'Reload the page and try again.'));
}
