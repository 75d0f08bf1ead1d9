import { http, HttpResponse, delay } from 'msw';

import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAdminApiGateway } from '../../src/actions/admin-api.js';
import { ExecutionError } from '../../src/actions/gateway.js';
import { createGateway } from '../../src/actions/index.js';
import { ACTIONS } from '../../src/domain/actions.js';
import { capturedLogger } from '../support/logging.js';
import { useMsw } from '../support/msw.js';

const server = useMsw();
const BASE = 'https://admin.example.test/gw';
const TOKEN = 'adm_s3cr3t_token_value';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Answers each request with the next of `answers` (the last one repeats) and records what was sent. */
function admin(answers: (() => Response | Promise<Response>)[]): Seen[] {
  const seen: Seen[] = [];
  server.use(
    http.all(`${BASE}/*`, async ({ request }) => {
      const text = await request.text();
      seen.push({
        method: request.method,
        url: request.url,
        headers: Object.fromEntries(request.headers.entries()),
        body: text ? JSON.parse(text) : undefined,
      });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      return answer();
    }),
  );
  return seen;
}

function client(extra: { timeoutMs?: number; retries?: number } = {}) {
  const { logger, lines } = capturedLogger();
  const gateway = createAdminApiGateway({ baseUrl: BASE, token: TOKEN, logger, backoffMs: 1, ...extra });
  return { gateway, lines };
}

const rateLimit = ACTIONS.raise_rate_limit.call({ team: 't-search', requests_per_minute: 1500, previous: 1200, reason: 'spike' })!;

async function failure(p: Promise<unknown>): Promise<ExecutionError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ExecutionError);
  return e as ExecutionError;
}

describe('admin-api writes', () => {
  it('sends the call under the base path with bearer token, Idempotency-Key and JSON body', async () => {
    const seen = admin([() => HttpResponse.json({ team: 't-search', requests_per_minute: 1500 })]);
    const { gateway } = client();
    const res = await gateway.send(rateLimit, 'exec_1');
    expect(res).toEqual({ status: 200, body: { team: 't-search', requests_per_minute: 1500 } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      url: `${BASE}/v1/teams/t-search/rate-limit`,
      body: { requests_per_minute: 1500, previous: 1200, reason: 'spike' },
    });
    expect(seen[0]!.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'idempotency-key': 'exec_1',
      'content-type': 'application/json',
    });
  });

  it('keeps path segments encoded and sends no body for a DELETE', async () => {
    const seen = admin([() => HttpResponse.json({ circuit_open_until: null })]);
    await client().gateway.send(ACTIONS.circuit_break_provider.inverse({ provider: 'a/b c', duration_seconds: 60, reason: 'r' })!, 'exec_2');
    expect(seen[0]!.method).toBe('DELETE');
    expect(seen[0]!.url).toBe(`${BASE}/v1/providers/a%2Fb%20c/circuit-breaker`);
    expect(seen[0]!.body).toBeUndefined();
  });

  it('retries a 503 with the same Idempotency-Key and returns the eventual success', async () => {
    const seen = admin([
      () => new HttpResponse('busy', { status: 503 }),
      () => new HttpResponse('busy', { status: 503 }),
      () => HttpResponse.json({ ok: true }),
    ]);
    const res = await client().gateway.send(rateLimit, 'exec_3');
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.headers['idempotency-key']))).toEqual(new Set(['exec_3']));
    expect(new Set(seen.map((s) => JSON.stringify(s.body))).size).toBe(1);
  });

  it.each([400, 409, 404])('does not retry a %i and throws a non-retryable error with the answer', async (status) => {
    const seen = admin([() => HttpResponse.json({ message: `refused with ${status}` }, { status })]);
    const e = await failure(client().gateway.send(rateLimit, 'exec_4'));
    expect(seen).toHaveLength(1);
    expect(e.retryable).toBe(false);
    expect(e.status).toBe(status);
    expect(e.message).toContain(`PATCH /v1/teams/t-search/rate-limit answered ${status}: refused with ${status}`);
  });

  it('gives up after the configured attempts on a persistent 5xx with a retryable error', async () => {
    const seen = admin([() => new HttpResponse(null, { status: 502 })]);
    const e = await failure(client({ retries: 4 }).gateway.send(rateLimit, 'exec_5'));
    expect(seen).toHaveLength(4);
    expect(e.retryable).toBe(true);
    expect(e.status).toBe(502);
  });

  it('a timeout on every attempt is a retryable ExecutionError', async () => {
    const seen = admin([
      async () => {
        await delay(2_000);
        return HttpResponse.json({});
      },
    ]);
    const e = await failure(client({ timeoutMs: 50, retries: 2 }).gateway.send(rateLimit, 'exec_6'));
    expect(seen).toHaveLength(2);
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/failed after 2 attempts: timed out after 50 ms/);
  });

  it('a network error is retried, then a retryable ExecutionError', async () => {
    const seen = admin([() => HttpResponse.error()]);
    const e = await failure(client().gateway.send(rateLimit, 'exec_7'));
    expect(seen).toHaveLength(3);
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/network error/);
  });

  it('never puts the token in errors or logs, even when the server echoes it', async () => {
    admin([() => HttpResponse.json({ message: `bad credentials Bearer ${TOKEN}` }, { status: 503 })]);
    const { gateway, lines } = client();
    const e = await failure(gateway.send(rateLimit, 'exec_8'));
    expect(e.message).toContain('[redacted]');
    expect(e.message).not.toContain(TOKEN);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});

describe('admin-api reads', () => {
  it('reads a provider, dropping fields it does not know', async () => {
    const seen = admin([
      () => HttpResponse.json({ name: 'openai', healthy: false, error_rate: 0.4, teams: 3, model_groups: ['gpt-4o'], region: 'us', circuit_open_until: null }),
    ]);
    expect(await client().gateway.getProvider('openai')).toEqual({
      name: 'openai',
      healthy: false,
      error_rate: 0.4,
      teams: 3,
      model_groups: ['gpt-4o'],
      circuit_open_until: null,
    });
    expect(seen[0]).toMatchObject({ method: 'GET', url: `${BASE}/v1/providers/openai` });
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('reads a model group, a team and a budget at their paths', async () => {
    const seen = admin([
      () => HttpResponse.json({ name: 'gpt 4o', provider: 'openai', providers: [{ name: 'openai', healthy: true }] }),
      () => HttpResponse.json({ id: 't-search', requests_per_minute: 1200 }),
      () => HttpResponse.json({ scope: 'org', scope_id: 'acme', hard_limit_usd: 20000, spend_usd: 100 }),
    ]);
    const { gateway } = client();
    expect(await gateway.getModelGroup('gpt 4o')).toMatchObject({ provider: 'openai' });
    expect(await gateway.getTeam('t-search')).toEqual({ id: 't-search', requests_per_minute: 1200 });
    expect(await gateway.getBudget('org', 'acme')).toMatchObject({ hard_limit_usd: 20000 });
    expect(seen.map((s) => s.url)).toEqual([`${BASE}/v1/model-groups/gpt%204o`, `${BASE}/v1/teams/t-search`, `${BASE}/v1/budgets/org/acme`]);
  });

  it('answers undefined for a 404', async () => {
    admin([() => HttpResponse.json({ message: 'no such team' }, { status: 404 })]);
    expect(await client().gateway.getTeam('t-nobody')).toBeUndefined();
  });

  it('refuses a malformed body with a message naming the field', async () => {
    admin([() => HttpResponse.json({ name: 'openai', healthy: 'yes' })]);
    const e = await failure(client().gateway.getProvider('openai'));
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(/healthy/);
  });
});

describe('createGateway', () => {
  it('chooses the admin-api when a URL is set and the simulator otherwise', () => {
    const logger = pino({ level: 'silent' });
    expect(createGateway({ url: BASE, token: TOKEN }, logger).kind).toBe('admin-api');
    expect(createGateway({}, logger).kind).toBe('simulated');
  });
});
