import { withoutTrailingSlashes } from '../domain/text.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AdminCall } from '../domain/actions.js';
import { ExecutionError, type BudgetInfo, type Gateway, type GatewayResponse, type ModelGroupInfo, type ProviderInfo, type TeamInfo } from './gateway.js';
import { DEFAULT_RETRY, errorDetail, fetchWithRetry, readJson, type RetryPolicy } from './http-retry.js';
import { SpanKind, traceHeaders, withSpan, type Span } from '../telemetry/index.js';

/**
 * The gateway's admin-api over HTTP (CONTRACT.md "Action library and the admin-api"). Writes carry
 * the bearer token and the caller's Idempotency-Key, identical on every retry; 4xx is final.
 */

export interface AdminApiOptions {
  /** May carry a path prefix (https://gw.example/admin); calls are appended to it. */
  baseUrl: string;
  token?: string;
  logger: Logger;
  /** Per attempt; default 5 s. */
  timeoutMs?: number;
  /** Total attempts, the first included; default 3. */
  retries?: number;
  /** Base backoff delay; default 200 ms (tests pass a small value). */
  backoffMs?: number;
  fetch?: typeof fetch;
}

// Bodies are validated but extra fields are tolerated (z.object strips them): the admin-api may grow.
export const ProviderInfoBody = z.object({
  name: z.string().min(1),
  healthy: z.boolean(),
  error_rate: z.number().min(0).max(1).optional(),
  requests_per_minute: z.number().nonnegative().optional(),
  teams: z.number().int().nonnegative().optional(),
  model_groups: z.array(z.string()).optional(),
  circuit_open_until: z.string().nullable().optional(),
}) satisfies z.ZodType<ProviderInfo>;

export const ModelGroupInfoBody = z.object({
  name: z.string().min(1),
  provider: z.string().min(1),
  providers: z.array(z.object({ name: z.string().min(1), healthy: z.boolean() })),
  requests_per_minute: z.number().nonnegative().optional(),
  teams: z.number().int().nonnegative().optional(),
}) satisfies z.ZodType<ModelGroupInfo>;

export const TeamInfoBody = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  requests_per_minute: z.number().nonnegative(),
}) satisfies z.ZodType<TeamInfo>;

export const BudgetInfoBody = z.object({
  scope: z.enum(['team', 'org']),
  scope_id: z.string().min(1),
  hard_limit_usd: z.number().nonnegative(),
  soft_limit_usd: z.number().nonnegative().optional(),
  spend_usd: z.number().nonnegative().optional(),
}) satisfies z.ZodType<BudgetInfo>;

const enc = encodeURIComponent;

function joinUrl(baseUrl: string, path: string): string {
  const base = new URL(baseUrl);
  const prefix = withoutTrailingSlashes(base.pathname);
  return `${base.origin}${prefix}${path.startsWith('/') ? path : `/${path}`}`;
}

/**
 * An admin-api request as an HTTP client span (OpenTelemetry's HTTP semantic conventions); the
 * request carries the span's W3C `traceparent`, so the gateway's own trace joins the incident's.
 */
function clientSpan<T>(method: string, url: string, fn: (span: Span, headers: Record<string, string>) => Promise<T>): Promise<T> {
  const u = new URL(url);
  const attributes = { 'http.request.method': method, 'url.full': url, 'server.address': u.hostname, 'server.port': Number(u.port || (u.protocol === 'https:' ? 443 : 80)), 'peer.service': 'admin-api' };
  return withSpan(`admin-api ${method}`, { kind: SpanKind.CLIENT, attributes }, (span) => fn(span, traceHeaders()));
}

function recordStatus(span: Span, status: number): void {
  span.setAttribute('http.response.status_code', status);
  if (status >= 400) span.setAttribute('error.type', String(status));
}

export function createAdminApiGateway(opts: AdminApiOptions): Gateway {
  new URL(opts.baseUrl); // a bad base URL fails at wiring time, not on the first incident
  const doFetch = opts.fetch ?? globalThis.fetch;
  const logger = opts.logger.child({ component: 'admin-api' });
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY,
    attempts: opts.retries ?? DEFAULT_RETRY.attempts,
    timeoutMs: opts.timeoutMs ?? DEFAULT_RETRY.timeoutMs,
    backoffMs: opts.backoffMs ?? DEFAULT_RETRY.backoffMs,
  };
  const secrets = [opts.token];
  const baseHeaders = (): Record<string, string> => ({
    accept: 'application/json',
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
  });
  const retryStatus = (s: number) => s >= 500;

  async function read<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const label = `admin-api GET ${path}`;
    const url = joinUrl(opts.baseUrl, path);
    const { res, body } = await clientSpan('GET', url, async (span, trace) => {
      const r = await fetchWithRetry(doFetch, { label, url, init: { method: 'GET', headers: { ...baseHeaders(), ...trace } }, retryStatus, secrets }, policy, logger);
      recordStatus(span, r.status);
      return { res: r, body: await readJson(r) };
    });
    if (res.status === 404) return undefined;
    if (!res.ok) {
      const detail = errorDetail(body, secrets);
      throw new ExecutionError(`${label} answered ${res.status}${detail ? `: ${detail}` : ''}`, res.status >= 500, res.status);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      throw new ExecutionError(`${label} answered a body that does not fit: ${problems}`, false, res.status);
    }
    return parsed.data;
  }

  return {
    kind: 'admin-api',

    async send(call: AdminCall, idempotencyKey: string): Promise<GatewayResponse> {
      const label = `admin-api ${call.method} ${call.path}`;
      const headers: Record<string, string> = { ...baseHeaders(), 'idempotency-key': idempotencyKey };
      const init: { method: string; headers: Record<string, string>; body?: string } = { method: call.method, headers };
      if (call.body !== undefined) {
        headers['content-type'] = 'application/json';
        init.body = JSON.stringify(call.body);
      }
      const url = joinUrl(opts.baseUrl, call.path);
      const { res, body } = await clientSpan(call.method, url, async (span, trace) => {
        Object.assign(headers, trace);
        const r = await fetchWithRetry(doFetch, { label, url, init, retryStatus, secrets }, policy, logger);
        recordStatus(span, r.status);
        return { res: r, body: await readJson(r) };
      });
      if (!res.ok) {
        const detail = errorDetail(body, secrets);
        throw new ExecutionError(`${label} answered ${res.status}${detail ? `: ${detail}` : ''}`, res.status >= 500, res.status);
      }
      logger.info({ call: label, status: res.status, idempotency_key: idempotencyKey }, 'admin-api write applied');
      const record = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
      return { status: res.status, body: record };
    },

    getProvider: (name) => read(`/v1/providers/${enc(name)}`, ProviderInfoBody),
    getModelGroup: (name) => read(`/v1/model-groups/${enc(name)}`, ModelGroupInfoBody),
    getTeam: (id) => read(`/v1/teams/${enc(id)}`, TeamInfoBody),
    getBudget: (scope, scopeId) => read(`/v1/budgets/${enc(scope)}/${enc(scopeId)}`, BudgetInfoBody),
  };
}
