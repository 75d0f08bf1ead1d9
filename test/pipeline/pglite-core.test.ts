import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyAudit } from '../../src/audit/verify.js';
import { ALICE, INGEST_TOKEN, gatewayAgreeing, get, post, startAgent, unhealthy, event, type RunningAgent } from '../support/agent.js';
import { freshPglite, type TestDatabase } from '../support/db.js';

// The core flow on the embedded default: PGlite, the simulated gateway, the playbook.
let db: TestDatabase;
let a: RunningAgent;
beforeAll(async () => {
  db = await freshPglite();
  // The simulated gateway reads openai failing, as the storm says: the storm's action may run on its own.
  a = await startAgent(db, { SRE_AUTO_APPROVE: 'true' }, { gateway: gatewayAgreeing(['openai']) });
});
afterAll(async () => {
  await a.stop();
  await db.dispose();
});

it('ingests, proposes, gates, decides once, executes on the simulator and audits every step', async () => {
  const storm = Array.from({ length: 50 }, () => unhealthy('openai', { error_rate: 0.8, requests: 30, window_seconds: 60 }));
  const sla = event('sla.violation', { sla_id: 'sla-checkout-p95', team: 't-checkout', metric: 'p95_latency_ms', target: 1200, observed: 2600, window_seconds: 900 });
  expect((await post(a.base, '/v1/events', [...storm, sla], INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  const all = (await get(a.base, '/v1/proposals', ALICE)).body.proposals;
  expect(all).toHaveLength(2);
  // The SLA page waits for a person (SRE_PAGE_WITHOUT_APPROVAL is off in the tests' configuration).
  const pending = all.find((p: { action: string }) => p.action === 'page_oncall');
  expect(pending).toMatchObject({ status: 'pending' });
  const first = await post(a.base, `/v1/proposals/${pending.id}/decision`, { decision: 'approve' }, ALICE);
  const second = await post(a.base, `/v1/proposals/${pending.id}/decision`, { decision: 'reject' }, ALICE);
  expect(first.body.status).toBe('succeeded');
  expect(second.status).toBe(409);
  expect(await verifyAudit(db.db)).toMatchObject({ ok: true });
});
