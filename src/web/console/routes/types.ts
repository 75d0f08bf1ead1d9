import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ConsoleOptions } from '../options.js';
import type { Pages, Viewer } from '../pages/index.js';
import type { Session } from '../session.js';

/** What every console handler shares, built once by createConsole. */
export interface ConsoleApp {
  opts: ConsoleOptions;
  deps: ConsoleOptions['deps'];
  /** PUBLIC_BASE_URL without its trailing slash: the only origin links, forms and cookies use. */
  base: string;
  /** Cookies are Secure when PUBLIC_BASE_URL is https. */
  secure: boolean;
  secret: string;
  log: Logger;
  pages: Pages;
}

/** One request as a handler sees it; `form` is the parsed body of a form POST, else empty. */
export interface ConsoleRequest {
  app: ConsoleApp;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  head: boolean;
  form: Record<string, string>;
}

export interface SignedInRequest extends ConsoleRequest {
  session: Session;
  /** The signed-in operator and their CSRF token, as the pages need them. */
  viewer: Viewer;
}

interface RouteBase {
  /** ANY: every method the routes before it on the same path did not take. */
  method: 'GET' | 'POST' | 'ANY';
  /** `:name` matches one id-like segment (letters, digits, `_`, `-`; at most 100). */
  path: string;
  /** A GET that also answers HEAD. */
  head?: boolean;
  /**
   * A form POST: the body is read (413 past the limit), another origin is refused (403), then the
   * CSRF token is checked against the session's (`session`) or the sign-in cookie's (`login`).
   */
  form?: 'session' | 'login';
  /** Answers a form whose CSRF token does not match; unset, the console's "Form expired" page. */
  expired?(c: ConsoleRequest): Promise<void> | void;
}

export type ConsoleRoute =
  | (RouteBase & { session: false; run(c: ConsoleRequest): Promise<void> | void })
  | (RouteBase & { session: true; run(c: SignedInRequest): Promise<void> | void });
