import { http, HttpResponse } from 'msw';
import { expect } from 'vitest';
import { ALICE, INGEST_TOKEN, get, post, unhealthy } from '../support/agent.js';
import { agentTest as test } from '../support/fixtures.js';
import { capturingLogger } from '../web/request.js';

const ADMIN = 'https://admin.scutum.test';

const sample = (text: string, name: string, labels: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').at(-1)) : undefined;
};

test('/metrics counts events, transitions, decisions by channel and executions by outcome', async ({ startAgent, msw: server }) => {
  server.use(
    // The re-check at decision time reads the target; an unknown provider would be refused as stale.
    http.get(`${ADMIN}/v1/providers/:p`, ({ params }) => HttpResponse.json({ name: params.p, healthy: false })),
    http.get(`${ADMIN}/v1/*`, () => HttpResponse.json({ error: 'not found' }, { status: 404 })),
    http.post(`${ADMIN}/v1/providers/:p/circuit-breaker`, () => HttpResponse.json({ ok: true })),
  );
  const a = await startAgent({ ADMIN_API_URL: ADMIN, ADMIN_API_TOKEN: 'admin-secret' });
  expect((await post(a.base, '/v1/events', unhealthy('openai', { requests: 60 }), INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  const p = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals[0];
  expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE)).body.status).toBe('succeeded');
  expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'reject' }, ALICE)).status).toBe(409);
  const text = (await get(a.base, '/metrics')).body as string;
  expect(sample(text, 'sre_decisions_total', 'channel="api",decision="approve"')).toBe(1);
  expect(sample(text, 'sre_decisions_total', 'channel="api",decision="duplicate"')).toBe(1);
  expect(sample(text, 'sre_executions_total', 'action="circuit_break_provider",outcome="succeeded"')).toBe(1);
  expect(sample(text, 'sre_proposals_total', 'action="circuit_break_provider",status="approved"')).toBe(1);
  expect(sample(text, 'sre_proposals_total', 'action="circuit_break_provider",status="succeeded"')).toBe(1);
  expect(sample(text, 'sre_events_ingested_total', 'type="provider.unhealthy",outcome="accepted"')).toBe(1);
});

test('/readyz is ready on a migrated database and fails while the stream consumer cannot reach Redis', async ({ startAgent }) => {
  let a = await startAgent();
  expect(await get(a.base, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
  await a.stop();
  // Nothing listens on port 1: the consumer stays detached and readiness says so.
  const log = capturingLogger();
  a = await startAgent({ REDIS_URL: 'redis://127.0.0.1:1' }, { logger: log.logger });
  const r = await get(a.base, '/readyz');
  expect(r.status).toBe(503);
  expect(String(r.body.checks.redis_consumer)).toMatch(/^detached/);
  // Anyone may ask /readyz: the internal address and the driver's error stay in the log.
  expect(JSON.stringify(r.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
  expect(log.text()).toMatch(/readiness check failing.*ECONNREFUSED|ECONNREFUSED.*readiness check failing/);
});
