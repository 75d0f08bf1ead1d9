import { afterAll, beforeAll } from 'vitest';
import type { Db } from '../../../src/db/client.js';
import type { ServiceDeps } from '../../../src/proposals/types.js';
import { createConsole } from '../../../src/web/console/index.js';
import { PUBLIC_BASE_URL, makeDeps } from '../../notify/fixtures.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { call, cookiesFrom, hidden, serve, type Answer } from './client.js';

/** The console's one operator in these tests. */
export const TOKENS = [{ name: 'alice', token: 'alice-token-0123456789' }];

/** Signs in to the console on `port` with `token`; the session's cookies, as a Cookie header value. */
export async function signIn(port: number, token = TOKENS[0]!.token, next = '/sre'): Promise<string> {
  const form = await call(port, 'GET', '/sre/login');
  const j = cookiesFrom(form);
  const res = await call(port, 'POST', '/sre/login', { headers: { cookie: j }, form: { csrf: hidden(form.body, 'csrf')!, next, token } });
  return cookiesFrom(res, j);
}

export interface ConsoleSession {
  /** The console's database (read inside a test: it is made in beforeAll). */
  readonly db: Db;
  /** The console's public base URL, which its forms must come from. */
  readonly origin: string;
  page: (path: string) => Promise<Answer>;
  /** Posts a form from the console's own origin. */
  postForm: (path: string, form: Record<string, string>) => Promise<Answer>;
}

/**
 * The console for one describe block on a fresh database, signed in as alice. Its public base URL
 * is PUBLIC_BASE_URL, or with `ownOrigin` the server's own address (the console then answers only
 * that host, as a browser would reach it). Registers its own beforeAll/afterAll.
 */
export function consoleSession(opts: { deps?: (db: Db) => ServiceDeps; ownOrigin?: boolean } = {}): ConsoleSession {
  let d: TestDatabase;
  let srv: Awaited<ReturnType<typeof serve>>;
  let jar = '';
  let origin = PUBLIC_BASE_URL;
  beforeAll(async () => {
    d = await freshPostgres();
    const deps = (opts.deps ?? makeDeps)(d.db);
    // Mounted once the server listens: its address may be the public base URL.
    const mounted: { c?: ReturnType<typeof createConsole> } = {};
    srv = await serve((req, res, url) => mounted.c!.handle(req, res, url));
    if (opts.ownOrigin) origin = `http://127.0.0.1:${srv.port}`;
    mounted.c = createConsole({ deps, apiTokens: TOKENS, sessionSecret: 'session-secret-for-tests', publicBaseUrl: origin });
    jar = await signIn(srv.port);
  });
  afterAll(async () => {
    await srv?.close();
    await d?.dispose();
  });
  return {
    get db() {
      return d.db;
    },
    get origin() {
      return origin;
    },
    page: (path) => call(srv.port, 'GET', path, { headers: { cookie: jar } }),
    postForm: (path, form) => call(srv.port, 'POST', path, { headers: { cookie: jar, origin }, form }),
  };
}
