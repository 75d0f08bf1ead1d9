import { withoutTrailingSlashes } from '../../../domain/text.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { routeDecideLink } from '../../decide-links.js';
import { compilePath } from '../../route-path.js';
import { redirect, sendHtml } from '../http.js';
import { messagePage, nav } from '../pages.js';
import { csrfToken } from '../session.js';
import { csrfOk, readFormOr413, refuseForeignHost, refuseForeignOrigin, signedInSession, viewerOf } from './guards.js';
import { loginCsrf, safeNext } from './sign-in.js';
import type { ConsoleApp, ConsoleRequest, ConsoleRoute } from './types.js';

interface CompiledRoute {
  route: ConsoleRoute;
  pattern: RegExp;
  names: string[];
}

/** Console ids (proposals) are letters, digits, `_` and `-`: anything else in a segment is no match. */
const PARAM = '([A-Za-z0-9_-]{1,100})';

export function compileRoutes(routes: readonly ConsoleRoute[]): readonly CompiledRoute[] {
  return routes.map((route) => ({ route, ...compilePath(route.path, PARAM) }));
}

function matchRoute(table: readonly CompiledRoute[], method: string, path: string): { route: ConsoleRoute; params: Record<string, string> } | undefined {
  for (const c of table) {
    const m = c.pattern.exec(path);
    if (!m) continue;
    if (c.route.method !== 'ANY' && c.route.method !== method && !(method === 'HEAD' && c.route.head)) continue;
    const params: Record<string, string> = {};
    c.names.forEach((n, i) => (params[n] = m[i + 1]!));
    return { route: c.route, params };
  }
  return undefined;
}

/**
 * Walks the table for one request under /sre: decision links first (they answer on any Host), then
 * the Host check, the route, its session (signed out: GETs go to sign in, the rest 401), and for a
 * form POST the body, origin and CSRF checks. False for paths outside /sre.
 */
export async function dispatch(app: ConsoleApp, table: readonly CompiledRoute[], req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const path = withoutTrailingSlashes(url.pathname) || '/';
  if (path !== '/sre' && !path.startsWith('/sre/')) return false;
  if (path.startsWith('/sre/decide/') || path === '/sre/decide') {
    if (app.opts.linkSecret) return routeDecideLink(req, res, url, { deps: app.deps, linkSecret: app.opts.linkSecret, publicBaseUrl: app.base, ...(app.opts.brake ? { brake: app.opts.brake } : {}) });
    sendHtml(res, 404, messagePage('Email links are off', 'This installation does not send decision links.'));
    return true;
  }
  const method = req.method ?? 'GET';
  const head = method === 'HEAD';
  if (refuseForeignHost(app, req, res, head)) return true;
  const found = matchRoute(table, method, path);
  const c: ConsoleRequest = { app, req, res, url, params: found?.params ?? {}, head, form: {} };
  if (found && !found.route.session) {
    if (found.route.form && !(await formChecked(c, found.route, loginCsrf(app, req)))) return true;
    await found.route.run(c);
    return true;
  }
  const session = await signedInSession(app, req);
  if (!session) {
    if (method === 'GET' || head) redirect(res, `/sre/login?next=${encodeURIComponent(safeNext(url.pathname + url.search))}`);
    else sendHtml(res, 401, messagePage('Signed out', 'Sign in again. Nothing was changed.'));
    return true;
  }
  const viewer = viewerOf(app, session, head);
  if (!found) {
    sendHtml(res, 404, messagePage('Not found', 'There is no such page.', 'error', nav(viewer.user, viewer.csrf)), { head });
    return true;
  }
  const signedIn = { ...c, session, viewer };
  if (found.route.form && !(await formChecked(signedIn, found.route, csrfToken(app.secret, session), viewer))) return true;
  await found.route.run(signedIn);
  return true;
}

/** Reads the form into `c.form` and checks origin and CSRF; false once the refusal is answered. */
async function formChecked(c: ConsoleRequest, route: ConsoleRoute, expected: string | undefined, viewer?: { user: string; csrf: string }): Promise<boolean> {
  const f = await readFormOr413(c.req, c.res);
  if (!f) return false;
  if (refuseForeignOrigin(c.app, c.req, c.res)) return false;
  c.form = f;
  if (csrfOk(f, expected)) return true;
  if (route.expired) await route.expired(c);
  else sendHtml(c.res, 403, messagePage('Form expired', 'Reload the page and try again. Nothing was changed.', 'error', viewer ? nav(viewer.user, viewer.csrf) : undefined));
  return false;
}
