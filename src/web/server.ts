import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { exportAuditCsv } from '../audit/export.js';
import { EVENT_TYPES, parseEvent } from '../domain/events.js';
import { DomainError } from '../domain/errors.js';
import { ingestEvents, type IngestItem } from '../ingest/ingest.js';
import { agentStatus, decide, getProposal, incidentReport, listProposals, pause, resume, revert, tuningReport, type ServiceDeps } from '../proposals/index.js';
import { reportMarkdown } from '../domain/incident-report.js';
import type { AuthBrake, AuthSurface } from './brake.js';
import { bearer, HttpError, matchSecret, readBody, sendError, sendJson } from './http.js';
import { openApiDocument } from './openapi.js';
import { compilePath } from './route-path.js';
import { createSilence, endSilence, listSilences } from '../silences/index.js';

export const MAX_EVENT_BODY_BYTES = 1024 * 1024;
export const MAX_EVENTS_PER_REQUEST = 1000;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface WebOptions {
  deps: ServiceDeps;
  logger: Logger;
  ingestToken: string | undefined;
  apiTokens: readonly { name: string; token: string }[];
  ready: () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
  metrics?: { render(): Promise<string>; contentType: string; observeHttp?(method: string, route: string, status: number, seconds: number): void; setReadiness?(probe: () => Promise<{ ok: boolean }>): void };
  /** Mounted adapters: Slack (raw body, verified by its receiver), email links, the console. */
  slack?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  routes?: RouteHandler[];
  /** Slows repeated wrong bearers from one address (shared with the console's sign-in). */
  brake?: AuthBrake;
}

/** Who may call a route: anyone, the ingest token, an operator's bearer, or Slack's signature (checked by its receiver). */
export type RouteAuth = 'none' | 'ingest' | 'operator' | 'slack';

interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  opts: WebOptions;
  /** The operator's name from SRE_API_TOKENS; 401 without a valid bearer. */
  operator(): string;
  /** Checks SRE_INGEST_TOKEN (401; 429 after repeated wrong tokens from one address). */
  ingest(): void;
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** `:name` segments match one path segment; the path is also the metrics label. */
  path: string;
  auth: RouteAuth;
  /** Also answers HEAD. */
  head?: boolean;
  run(c: RouteContext): Promise<void>;
}

/**
 * Every route the server answers outside the console, in one table: the dispatcher walks it, and
 * the OpenAPI document (openapi.ts) is checked against it in both directions.
 */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/healthz', auth: 'none', head: true, run: async ({ res }) => sendJson(res, 200, { status: 'ok' }) },
  {
    method: 'GET',
    path: '/readyz',
    auth: 'none',
    head: true,
    run: async ({ res, opts }) => {
      const r = await opts.ready();
      sendJson(res, r.ok ? 200 : 503, { status: r.ok ? 'ready' : 'not ready', checks: r.checks });
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    auth: 'none',
    run: async ({ res, opts }) => {
      if (!opts.metrics) throw new HttpError(404, 'metrics are not served by this process');
      const text = await opts.metrics.render();
      res.writeHead(200, { 'content-type': opts.metrics.contentType });
      res.end(text);
    },
  },
  { method: 'GET', path: '/v1/openapi.json', auth: 'none', run: async ({ res }) => sendJson(res, 200, openApiDocument(), { 'cache-control': 'public, max-age=300' }) },
  {
    method: 'POST',
    path: '/slack/events',
    auth: 'slack',
    run: async ({ req, res, opts }) => {
      if (!opts.slack) throw new HttpError(404, 'Slack is not configured (SLACK_BOT_TOKEN)');
      await opts.slack(req, res);
    },
  },
  { method: 'POST', path: '/v1/events', auth: 'ingest', run: async ({ req, res, opts, ingest }) => postEvents(opts, req, res, ingest) },
  {
    method: 'GET',
    path: '/v1/proposals',
    auth: 'operator',
    run: async ({ res, url, opts }) => {
      const status = url.searchParams.get('status') ?? undefined;
      const limit = Number(url.searchParams.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit: expected an integer 1–1000');
      const proposals = await listProposals(opts.deps, { status, limit });
      sendJson(res, 200, { proposals });
    },
  },
  {
    method: 'GET',
    path: '/v1/proposals/:id',
    auth: 'operator',
    run: async ({ res, params, opts }) => {
      const p = await getProposal(opts.deps, params.id!, { past: true });
      if (!p) throw new DomainError('not_found', `proposal ${params.id} not found`);
      sendJson(res, 200, p);
    },
  },
  {
    method: 'POST',
    path: '/v1/proposals/:id/decision',
    auth: 'operator',
    run: async ({ req, res, params, opts, operator }) => {
      const name = operator();
      const body = await jsonBody(req, 64 * 1024);
      const b = (body ?? {}) as { decision?: unknown; reason?: unknown };
      if (b.decision !== 'approve' && b.decision !== 'reject') throw new HttpError(400, 'decision: expected "approve" or "reject"');
      if (b.reason !== undefined && typeof b.reason !== 'string') throw new HttpError(400, 'reason: expected a string');
      const view = await decide(opts.deps, { proposalId: params.id!, decision: b.decision, reason: b.reason, actor: { type: 'user', name, via: 'api' } });
      sendJson(res, 200, view);
    },
  },
  {
    method: 'POST',
    path: '/v1/proposals/:id/revert',
    auth: 'operator',
    run: async ({ req, res, params, opts, operator }) => {
      const actor = { type: 'user', name: operator(), via: 'api' } as const;
      const raw = await readBody(req, 16 * 1024);
      const body = raw.length === 0 ? null : ((await parseJson(raw)) as { reason?: unknown } | null);
      const view = await revert(opts.deps, { proposalId: params.id!, actor, reason: body?.reason });
      sendJson(res, 200, view);
    },
  },
  {
    method: 'GET',
    path: '/v1/audit.csv',
    auth: 'operator',
    run: async ({ res, url, opts }) => {
      const filter = { source: url.searchParams.get('source') || undefined, since: dateParam(url, 'since'), until: dateParam(url, 'until') };
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="sre-audit-${new Date().toISOString().slice(0, 10)}.csv"`,
        'cache-control': 'no-store',
      });
      await pipeline(Readable.from(exportAuditCsv(opts.deps.db, filter, { copyClient: opts.deps.copyClient })), res);
    },
  },
  { method: 'GET', path: '/v1/status', auth: 'operator', run: async ({ res, opts }) => sendJson(res, 200, await agentStatus(opts.deps)) },
  {
    method: 'POST',
    path: '/v1/pause',
    auth: 'operator',
    run: async ({ req, res, opts, operator }) => {
      const actor = { type: 'user', name: operator(), via: 'api' } as const;
      const body = (await jsonBody(req, 16 * 1024)) as { reason?: unknown } | null;
      sendJson(res, 200, await pause(opts.deps, { reason: body?.reason, actor }));
    },
  },
  {
    method: 'POST',
    path: '/v1/resume',
    auth: 'operator',
    run: async ({ req, res, opts, operator }) => {
      const actor = { type: 'user', name: operator(), via: 'api' } as const;
      const raw = await readBody(req, 16 * 1024);
      const body = raw.length === 0 ? null : ((await parseJson(raw)) as { reason?: unknown } | null);
      sendJson(res, 200, await resume(opts.deps, { reason: body?.reason, actor }));
    },
  },
  // Silences (issue 20): every operator of the JSON API is an approver (they decide proposals here).
  {
    method: 'POST',
    path: '/v1/silences',
    auth: 'operator',
    run: async ({ req, res, opts, operator }) => {
      const actor = { type: 'user', name: operator(), via: 'api' } as const;
      const b = ((await jsonBody(req, 16 * 1024)) ?? {}) as Record<string, unknown>;
      if (typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'expected a JSON object { matchers, ends_at, reason }');
      sendJson(res, 201, await createSilence(opts.deps, { matchers: b.matchers, starts_at: b.starts_at, ends_at: b.ends_at, schedule: b.schedule, reason: b.reason, actor }));
    },
  },
  { method: 'GET', path: '/v1/silences', auth: 'operator', run: async ({ res, opts }) => sendJson(res, 200, { silences: await listSilences(opts.deps) }) },
  {
    method: 'DELETE',
    path: '/v1/silences/:id',
    auth: 'operator',
    run: async ({ res, params, opts, operator }) => sendJson(res, 200, await endSilence(opts.deps, { id: params.id!, actor: { type: 'user', name: operator(), via: 'api' } })),
  },
  {
    method: 'GET',
    path: '/v1/report',
    auth: 'operator',
    run: async ({ res, url, opts }) => sendJson(res, 200, await tuningReport(opts.deps, { since: url.searchParams.get('since') ?? undefined })),
  },
  {
    method: 'GET',
    path: '/v1/incidents/:id/report',
    auth: 'operator',
    run: async ({ req, res, url, params, opts }) => {
      const report = await incidentReport(opts.deps, { id: params.id!, narrative: wantsNarrative(url.searchParams.get('narrative')) });
      if (!wantsMarkdown(req.headers.accept, url.searchParams.get('format'))) return sendJson(res, 200, report);
      res.writeHead(200, { 'content-type': 'text/markdown; charset=utf-8', 'cache-control': 'no-store', vary: 'Accept' });
      res.end(reportMarkdown(report));
    },
  },
];

/** `?narrative=1` (or true/yes) asks for the model's paragraph; absent or 0/false/no: none. */
export function wantsNarrative(v: string | null): boolean {
  if (v === null || v === '0' || v === 'false' || v === 'no') return false;
  if (v === '1' || v === 'true' || v === 'yes' || v === '') return true;
  throw new HttpError(400, 'narrative: expected 1 or 0');
}

/** Markdown when asked for by `?format=markdown` or when the Accept header prefers text/markdown to JSON. */
export function wantsMarkdown(accept: string | undefined, format: string | null): boolean {
  if (format) {
    if (format === 'markdown' || format === 'md') return true;
    if (format === 'json') return false;
    throw new HttpError(400, 'format: expected "markdown" or "json"');
  }
  const q = (type: string) => {
    for (const part of (accept ?? '').slice(0, 1000).split(',')) {
      const [media, ...ps] = part.trim().toLowerCase().split(';');
      if (media !== type) continue;
      const qp = ps.map((x) => x.trim()).find((x) => x.startsWith('q='));
      return qp ? Number(qp.slice(2)) || 0 : 1;
    }
    return -1;
  };
  const markdown = q('text/markdown');
  return markdown > 0 && markdown >= q('application/json');
}

interface CompiledRoute {
  route: ApiRoute;
  pattern: RegExp;
  names: string[];
}

const COMPILED: readonly CompiledRoute[] = API_ROUTES.map((route) => ({ route, ...compilePath(route.path, '([^/]+)') }));

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in the path: "${seg.slice(0, 40)}"`);
  }
}

/** The route for a method and path, or the methods the path allows (405), or nothing (404). */
function matchRoute(method: string, path: string): { route: ApiRoute; params: Record<string, string> } | { allow: string[] } | undefined {
  const allow: string[] = [];
  for (const c of COMPILED) {
    const m = c.pattern.exec(path);
    if (!m) continue;
    if (c.route.method === method || (method === 'HEAD' && c.route.head)) {
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = decodeSegment(m[i + 1]!)));
      return { route: c.route, params };
    }
    allow.push(c.route.method);
  }
  return allow.length ? { allow } : undefined;
}
/** Query parameters that would carry a credential into proxy logs and browser history. */
const CREDENTIAL_PARAMS = ['token', 'access_token', 'api_key', 'apikey', 'bearer'];

/** The agent's one HTTP server: thin adapters that parse input, call one service verb, map errors. */
export function createWebServer(opts: WebOptions): Server {
  const { logger } = opts;
  opts.metrics?.setReadiness?.(opts.ready);

  /**
   * Checks a presented credential. A right one is always admitted, however many wrong ones came
   * from its address (the kill switch is never throttled for a valid operator); a wrong one is
   * answered 429 while its surface+address is slowed, else 401 and counted.
   */
  function credential(req: IncomingMessage, surface: AuthSurface, candidates: readonly string[], problem: string): number {
    const presented = bearer(req);
    const i = matchSecret(presented, candidates);
    if (i >= 0) return i;
    if (presented && opts.brake) {
      const address = opts.brake.address(req);
      const wait = opts.brake.retryAfter(address, surface);
      if (wait > 0) {
        opts.brake.throttled(surface);
        throw new HttpError(429, `too many wrong tokens from this address; try again in ${wait} s`, {}, { 'retry-after': String(wait) });
      }
      opts.brake.fail(address, surface);
    }
    throw new HttpError(401, problem, {});
  }

  function operator(req: IncomingMessage): string {
    const i = credential(req, 'api', opts.apiTokens.map((t) => t.token), 'a valid bearer token from SRE_API_TOKENS is required');
    return opts.apiTokens[i]!.name;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const leaked = path.startsWith('/v1/') ? CREDENTIAL_PARAMS.find((k) => url.searchParams.has(k)) : undefined;
    if (leaked) {
      // Refused unchecked: the value is never compared, logged or echoed.
      logger.warn({ path, param: leaked }, 'credential in a query string refused');
      throw new HttpError(400, `a credential in the query string (${leaked}=…) is refused: addresses end up in proxy logs and browser history. Send it as "Authorization: Bearer …", and rotate that token if it was real`);
    }
    if (path === '/' && (method === 'GET' || method === 'HEAD')) {
      // A person opening the agent's address lands on the console (which sends them to sign in).
      res.writeHead(303, { location: '/sre', 'cache-control': 'no-store' });
      res.end();
      return '/';
    }
    const found = matchRoute(method, path);
    if (found && 'route' in found) {
      const { route, params } = found;
      if (route.auth === 'operator') operator(req);
      const ingest = () => void credential(req, 'ingest', opts.ingestToken ? [opts.ingestToken] : [], 'a valid bearer token (SRE_INGEST_TOKEN) is required');
      await route.run({ req, res, url, params, opts, operator: () => operator(req), ingest });
      return route.path;
    }
    if (found) {
      res.setHeader('allow', found.allow.join(', '));
      throw new HttpError(405, `method not allowed: use ${found.allow.join(' or ')}`);
    }
    for (const route of opts.routes ?? []) {
      if (await route(req, res, url)) return url.pathname.split('/').slice(0, 3).join('/');
    }
    sendJson(res, 404, { error: `no route for ${method} ${url.pathname}` });
    return 'unmatched';
  }

  return createServer((req, res) => {
    const started = process.hrtime.bigint();
    const reqId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || randomUUID();
    res.setHeader('x-request-id', reqId);
    // Origins for links come from PUBLIC_BASE_URL; the Host header is never trusted for them.
    const url = new URL(req.url ?? '/', 'http://localhost');
    let route = 'unmatched';
    handle(req, res, url)
      .then((r) => {
        route = r;
      })
      .catch((e: unknown) => sendError(res, e, logger.child({ req_id: reqId, path: url.pathname })))
      .finally(() => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        opts.metrics?.observeHttp?.(req.method ?? 'GET', route, res.statusCode, seconds);
      });
  });
}

async function postEvents(opts: WebOptions, req: IncomingMessage, res: ServerResponse, checkToken: () => void): Promise<void> {
  const { deps } = opts;
  // Unset token: the endpoint refuses every request (CONTRACT.md).
  checkToken();
  const body = await jsonBody(req, MAX_EVENT_BODY_BYTES);
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) throw new HttpError(400, 'no events: send one event object or a non-empty array');
  if (list.length > MAX_EVENTS_PER_REQUEST) throw new HttpError(400, `too many events: ${list.length} (limit ${MAX_EVENTS_PER_REQUEST} per request)`);
  const items: IngestItem[] = [];
  const rejected: { index: number; id?: string; problems: string[] }[] = [];
  list.forEach((raw, index) => {
    const r = parseEvent(raw);
    if (r.ok) items.push({ event: r.event, via: 'http' });
    else rejected.push({ index, ...(r.id ? { id: r.id } : {}), problems: r.problems });
  });
  for (const r of rejected) {
    const t = (list[r.index] as { type?: unknown } | null)?.type;
    deps.metrics?.eventsIngested.inc({ type: typeof t === 'string' && (EVENT_TYPES as readonly string[]).includes(t) ? t : 'unknown', outcome: 'invalid' });
  }
  if (items.length === 0) throw new HttpError(400, 'no valid event in the request', { rejected });
  const out = await ingestEvents(deps, items);
  sendJson(res, 202, { accepted: out.accepted, duplicates: out.duplicates, incidents_opened: out.incidentsOpened, rejected });
}

async function jsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const raw = await readBody(req, limit);
  if (raw.length === 0) throw new HttpError(400, 'empty body: expected JSON');
  return parseJson(raw);
}

async function parseJson(raw: Buffer): Promise<unknown> {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new HttpError(400, `malformed JSON: ${(e as Error).message}`);
  }
}

function dateParam(url: URL, name: string): Date | undefined {
  const v = url.searchParams.get(name);
  if (!v) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new HttpError(400, `${name}: expected an ISO 8601 time, got "${v.slice(0, 40)}"`);
  return d;
}
