import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, foreignOrigin, hostAllowed, parseCookies, readForm, safeEqual, sendHtml } from '../http.js';
import { messagePage } from '../pages.js';
import type { Viewer } from '../pages/index.js';
import { isConsoleSessionRevoked } from '../../../proposals/index.js';
import { csrfToken, decodeSession, SESSION_COOKIE, sessionIdHash, type Session } from '../session.js';
import type { ConsoleApp } from './types.js';

/** The checks the dispatcher runs before a handler: host, session, form body, origin, CSRF, brake. */

export async function signedInSession(app: ConsoleApp, req: IncomingMessage): Promise<Session | undefined> {
  const s = decodeSession(app.secret, parseCookies(req.headers)[SESSION_COOKIE], app.deps.clock.now().getTime());
  // A token removed from SRE_API_TOKENS ends that operator's sessions.
  if (!s || !app.opts.apiTokens.some((t) => t.name === s.user)) return undefined;
  // Signed out: the cookie is still well signed, but its session is over (a copy of it too).
  return (await isConsoleSessionRevoked(app.deps, { sidHash: sessionIdHash(s) })) ? undefined : s;
}

export function viewerOf(app: ConsoleApp, s: Session, head: boolean): Viewer {
  return { user: s.user, csrf: csrfToken(app.secret, s), head };
}

/** The urlencoded body, or undefined once 413 has been answered. */
export async function readFormOr413(req: IncomingMessage, res: ServerResponse): Promise<Record<string, string> | undefined> {
  try {
    return await readForm(req);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    sendHtml(res, 413, messagePage('Too large', 'The form was too large. Nothing was changed.'));
    return undefined;
  }
}

export function csrfOk(f: Record<string, string>, expected: string | undefined): boolean {
  return expected !== undefined && typeof f.csrf === 'string' && safeEqual(f.csrf, expected);
}

/** Another Host is how DNS rebinding reaches a console on localhost: answered 421, saying where it lives. */
export function refuseForeignHost(app: ConsoleApp, req: IncomingMessage, res: ServerResponse, head: boolean): boolean {
  if (hostAllowed(req.headers, app.base)) return false;
  const configured = new URL(app.base).origin;
  app.log.warn({ host: String(req.headers.host ?? '').slice(0, 200), configured_origin: configured }, 'console reached through another Host refused');
  sendHtml(res, 421, messagePage('Wrong address', `This console lives at ${configured} (PUBLIC_BASE_URL), not at the address you used. Open ${configured}/sre, or set PUBLIC_BASE_URL to the address you reach it by.`), { head });
  return true;
}

/** A POST from another origin: answered with a page naming both origins, and logged (origins are not secrets). */
export function refuseForeignOrigin(app: ConsoleApp, req: IncomingMessage, res: ServerResponse): boolean {
  const seen = foreignOrigin(req.headers, app.base);
  if (seen === undefined) return false;
  const configured = new URL(app.base).origin;
  app.log.warn({ seen_origin: seen, configured_origin: configured, path: req.url?.split('?')[0] }, 'console form sent from another origin refused');
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

/**
 * A wrong console token: answered 429 while this address is slowed on `surface` (the right token
 * never comes here: it is admitted first), else counted. True once 429 has been answered.
 */
export function refusedToken(app: ConsoleApp, req: IncomingMessage, res: ServerResponse, surface: 'console' | 'decision_link' = 'console'): boolean {
  const brake = app.opts.brake;
  if (!brake) return false;
  const address = brake.address(req);
  const wait = brake.retryAfter(address, surface);
  if (wait === 0) {
    brake.fail(address, surface);
    return false;
  }
  brake.throttled(surface);
  sendHtml(res, 429, messagePage('Too many attempts', `Too many wrong tokens came from your address. Wait ${wait} seconds, then try again.`), { headers: { 'retry-after': String(wait) } });
  return true;
}
