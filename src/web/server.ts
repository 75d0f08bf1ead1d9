import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { exportAuditCsv } from '../audit/export.js';
import { EVENT_TYPES, parseEvent } from '../domain/events.js';
import { DomainError } from '../domain/errors.js';
import { ingestEvents, type IngestItem } from '../ingest/ingest.js';
import { decide } from '../proposals/decide.js';
import { getProposal, listProposals } from '../proposals/queries.js';
import { revert } from '../proposals/revert.js';
import type { ServiceDeps } from '../proposals/types.js';
import { bearer, HttpError, matchSecret, readBody, sendError, sendJson } from './http.js';

export const MAX_EVENT_BODY_BYTES = 1024 * 1024;
export const MAX_EVENTS_PER_REQUEST = 1000;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface WebOptions {
  deps: ServiceDeps;
  logger: Logger;
  ingestToken: string | undefined;
  apiTokens: readonly { name: string; token: string }[];
  ready: () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
  metrics?: { render(): Promise<string>; contentType: string; observeHttp?(method: string, route: string, status: number, seconds: number): void };
  /** Mounted adapters: Slack (raw body, verified by its receiver), email links, the console. */
  slack?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  routes?: RouteHandler[];
}

/** The agent's one HTTP server: thin adapters that parse input, call one service verb, map errors. */
export function createWebServer(opts: WebOptions): Server {
  const { deps, logger } = opts;

  function operator(req: IncomingMessage): string {
    const i = matchSecret(bearer(req), opts.apiTokens.map((t) => t.token));
    if (i < 0) throw new HttpError(401, 'a valid bearer token from SRE_API_TOKENS is required', {});
    return opts.apiTokens[i]!.name;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    // A person opening the agent's address lands on the console, not on a JSON 404.
    if (path === '/' && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(302, { location: '/sre', 'cache-control': 'no-store' }).end();
      return '/';
    }
    if (path === '/healthz' && (method === 'GET' || method === 'HEAD')) {
      sendJson(res, 200, { status: 'ok' });
      return '/healthz';
    }
    if (path === '/readyz' && (method === 'GET' || method === 'HEAD')) {
      const r = await opts.ready();
      sendJson(res, r.ok ? 200 : 503, { status: r.ok ? 'ready' : 'not ready', checks: r.checks });
      return '/readyz';
    }
    if (path === '/metrics' && method === 'GET' && opts.metrics) {
      const text = await opts.metrics.render();
      res.writeHead(200, { 'content-type': opts.metrics.contentType });
      res.end(text);
      return '/metrics';
    }
    if (path === '/slack/events' && method === 'POST' && opts.slack) {
      await opts.slack(req, res);
      return '/slack/events';
    }
    if (path === '/v1/events') {
      if (method !== 'POST') throw new HttpError(405, 'use POST');
      await postEvents(req, res);
      return '/v1/events';
    }
    if (path === '/v1/proposals' && method === 'GET') {
      operator(req);
      const status = url.searchParams.get('status') ?? undefined;
      const limit = Number(url.searchParams.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit: expected an integer 1–1000');
      const proposals = await listProposals(deps.db, { status, limit }, deps.publicBaseUrl);
      sendJson(res, 200, { proposals });
      return '/v1/proposals';
    }
    const m = /^\/v1\/proposals\/([^/]+)(\/decision|\/revert)?$/.exec(path);
    if (m) {
      const id = decodeURIComponent(m[1]!);
      const name = operator(req);
      if (!m[2] && method === 'GET') {
        const p = await getProposal(deps.db, id, deps.publicBaseUrl);
        if (!p) throw new DomainError('not_found', `proposal ${id} not found`);
        sendJson(res, 200, p);
        return '/v1/proposals/:id';
      }
      if (m[2] === '/decision' && method === 'POST') {
        const body = await jsonBody(req, 64 * 1024);
        const b = (body ?? {}) as { decision?: unknown; reason?: unknown };
        if (b.decision !== 'approve' && b.decision !== 'reject') throw new HttpError(400, 'decision: expected "approve" or "reject"');
        if (b.reason !== undefined && typeof b.reason !== 'string') throw new HttpError(400, 'reason: expected a string');
        const view = await decide(deps, { proposalId: id, decision: b.decision, reason: b.reason, actor: { type: 'user', name, via: 'api' } });
        sendJson(res, 200, view);
        return '/v1/proposals/:id/decision';
      }
      if (m[2] === '/revert' && method === 'POST') {
        const view = await revert(deps, { proposalId: id, actor: { type: 'user', name, via: 'api' } });
        sendJson(res, 200, view);
        return '/v1/proposals/:id/revert';
      }
      throw new HttpError(405, 'method not allowed');
    }
    if (path === '/v1/audit.csv' && method === 'GET') {
      operator(req);
      const filter = {
        source: url.searchParams.get('source') || undefined,
        since: dateParam(url, 'since'),
        until: dateParam(url, 'until'),
      };
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="sre-audit-${new Date().toISOString().slice(0, 10)}.csv"`,
        'cache-control': 'no-store',
      });
      await pipeline(Readable.from(exportAuditCsv(deps.db, filter, { copyClient: deps.copyClient })), res);
      return '/v1/audit.csv';
    }
    for (const route of opts.routes ?? []) {
      if (await route(req, res, url)) return url.pathname.split('/').slice(0, 3).join('/');
    }
    sendJson(res, 404, { error: `no route for ${method} ${path}` });
    return 'unmatched';
  }

  async function postEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Unset token: the endpoint refuses every request (CONTRACT.md).
    if (!opts.ingestToken || matchSecret(bearer(req), [opts.ingestToken]) < 0) throw new HttpError(401, 'a valid bearer token (SRE_INGEST_TOKEN) is required');
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

async function jsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const raw = await readBody(req, limit);
  if (raw.length === 0) throw new HttpError(400, 'empty body: expected JSON');
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
