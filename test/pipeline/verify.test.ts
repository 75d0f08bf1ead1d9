import { eq, sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { beforeEach, describe, expect } from 'vitest';
import type { SimulatedGateway } from '../../src/actions/simulated.js';
import { queryRows, schema } from '../../src/db/client.js';
import { ALICE, INGEST_TOKEN, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import { WORKDAY_START, readingClock } from '../support/clock.js';
import type { TestDatabase } from '../support/db.js';
import { agentTest as test } from '../support/fixtures.js';

// The simulated gateway (no ADMIN_API_URL); a clock the test moves past the verification window.
const PD = 'https://events.pagerduty.test/v2/enqueue';
let clock = WORKDAY_START;
const now = readingClock(() => clock);
const WINDOW_MS = 295_000; // a 300 s circuit-break is judged 5 s before it restores itself

beforeEach(async () => {
  clock = WORKDAY_START;
});

// No model group: the failure is the provider's as a whole, so the playbook circuit-breaks (with a
// model group that the gateway reports other groups of the provider succeeding on, it re-routes it).
const event = (errorRate: number) => unhealthy('openai', { error_rate: errorRate, requests: 60, window_seconds: 60, model_group: undefined });
const sim = (agent: RunningAgent) => agent.agent.deps.gateway as SimulatedGateway;
const view = async (a: RunningAgent, id: string) => (await get(a.base, `/v1/proposals/${id}`, ALICE)).body;
const kinds = async (db: TestDatabase, id: string) => (await queryRows<{ kind: string }>(db.db, sql`select kind from sre_actions where proposal_id = ${id} order by seq`)).map((r) => r.kind);
const reverts = async (db: TestDatabase, id: string) => (await db.db.select().from(schema.executions).where(eq(schema.executions.proposalId, id))).filter((e) => e.operation === 'revert');

async function executed(agent: RunningAgent) {
  await post(agent.base, '/v1/events', event(0.7), INGEST_TOKEN);
  await agent.agent.tick();
  const [p] = (await get(agent.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
  const r = await post(agent.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE);
  expect(r.body).toMatchObject({ status: 'succeeded', verification: { status: 'pending', reason: 'watching for 295 s' } });
  return p.id as string;
}

describe('verification after an execution', () => {
  test('passes when no event at the same or worse severity arrives within the window, with the evidence audited', async ({ db, startAgent }) => {
    const a = await startAgent({}, { clock: now });
    const id = await executed(a);
    clock += 60_000;
    await post(a.base, '/v1/events', event(0.2), INGEST_TOKEN);
    await a.agent.tick();
    expect((await view(a, id)).verification.status).toBe('pending');
    // To the check itself (the breaker is still open then: the gateway reads it applied).
    clock += WINDOW_MS - 60_000;
    await a.agent.tick();
    expect((await view(a, id)).verification).toMatchObject({ status: 'passed', reason: expect.stringMatching(/no event at the same or worse severity within 5 min \(target read: applied\)/), checked_at: now.now().toISOString() });
    const [passed] = await queryRows<{ payload: { evidence: Record<string, unknown> } }>(db.db, sql`select payload from sre_actions where proposal_id = ${id} and kind = 'verification.passed'`);
    expect(passed!.payload.evidence).toMatchObject({ baseline_severity: 0.7, later_events: 1, same_or_worse: 0, target_read: 'applied' });
    expect(await reverts(db, id)).toEqual([]);
  });

  test('fails on an event at the same or worse severity, reverts once through the inverse, and verifies the revert', async ({ db, startAgent }) => {
    const a = await startAgent({}, { clock: now });
    const id = await executed(a);
    clock += 30_000;
    await post(a.base, '/v1/events', event(0.9), INGEST_TOKEN);
    clock += WINDOW_MS;
    await a.agent.tick(); // verification fails; the revert is due
    await a.agent.tick(); // the revert
    const v = await view(a, id);
    expect(v).toMatchObject({ status: 'succeeded', reverted_by: 'system:verifier', verification: { status: 'reverted' } });
    expect(v.result.revert).toMatchObject({ ok: true, operation: 'revert' });
    expect(sim(a).calls().map((c) => `${c.call.method} ${c.call.path}`)).toEqual(['POST /v1/providers/openai/circuit-breaker', 'DELETE /v1/providers/openai/circuit-breaker']);
    const [failed] = await queryRows<{ payload: Record<string, unknown> }>(db.db, sql`select payload from sre_actions where proposal_id = ${id} and kind = 'verification.failed'`);
    expect(failed!.payload).toMatchObject({ next: 'revert', reason: expect.stringMatching(/1 event\(s\) at the same or worse severity .*worst 0.9 vs 0.7/) });
    // The revert is verified too, and no second automatic revert ever follows.
    clock += WINDOW_MS;
    await a.agent.tick();
    expect((await view(a, id)).verification).toMatchObject({ status: 'reverted', reason: expect.stringMatching(/^reverted; the revert holds/) });
    await a.agent.tick();
    expect(await reverts(db, id)).toHaveLength(1);
    expect(await kinds(db, id)).toEqual(expect.arrayContaining(['verification.started', 'verification.failed', 'execution.started', 'execution.succeeded', 'verification.passed']));
  });

  test('a crash between the failed verification and its revert: the revert happens once after restart, and the button answers "already reverted"', async ({ startAgent, db }) => {
    let a = await startAgent({}, { clock: now });
    const id = await executed(a);
    clock += 10_000;
    await post(a.base, '/v1/events', event(0.8), INGEST_TOKEN);
    clock += WINDOW_MS;
    await a.agent.tick(); // failed, and the revert timer committed with the verdict
    expect((await view(a, id)).verification.status).toBe('failed');
    await a.stop();
    a = await startAgent({}, { clock: now });
    await a.agent.tick();
    await a.agent.tick();
    expect(await reverts(db, id)).toHaveLength(1);
    expect(sim(a).calls().filter((c) => c.call.method === 'DELETE')).toHaveLength(1);
    const again = await post(a.base, `/v1/proposals/${id}/revert`, {}, ALICE);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already reverted by system:verifier/);
    expect(await reverts(db, id)).toHaveLength(1);
  });

  test('with SRE_AUTO_REVERT=false a failed verification pages on-call instead, once', async ({ startAgent, msw: server, db }) => {
    const pages: Record<string, unknown>[] = [];
    server.use(
      http.post(PD, async ({ request }) => {
        pages.push((await request.json()) as Record<string, unknown>);
        return HttpResponse.json({ status: 'success', dedup_key: 'k' }, { status: 202 });
      }),
    );
    const a = await startAgent({ SRE_AUTO_REVERT: 'false', PAGERDUTY_ROUTING_KEY: 'pd-key', PAGERDUTY_EVENTS_URL: PD, SRE_PAGERDUTY_MIN_SCORE: '100' }, { clock: now });
    const id = await executed(a);
    clock += 10_000;
    await post(a.base, '/v1/events', event(0.7), INGEST_TOKEN);
    clock += WINDOW_MS;
    await a.agent.tick();
    await a.agent.tick();
    expect((await view(a, id)).verification.status).toBe('failed');
    expect(await reverts(db, id)).toEqual([]);
    const mine = pages.filter((p) => p.dedup_key === `verify:${id}`);
    expect(mine).toHaveLength(1);
    expect(JSON.stringify(mine[0])).toMatch(/did not help/);
  });

  test('a failed verification while the agent is paused is not reverted; on-call is paged', async ({ startAgent, msw: server, db }) => {
    const pages: Record<string, unknown>[] = [];
    server.use(
      http.post(PD, async ({ request }) => {
        pages.push((await request.json()) as Record<string, unknown>);
        return HttpResponse.json({ status: 'success', dedup_key: 'k' }, { status: 202 });
      }),
    );
    const a = await startAgent({ PAGERDUTY_ROUTING_KEY: 'pd-key', PAGERDUTY_EVENTS_URL: PD, SRE_PAGERDUTY_MIN_SCORE: '100' }, { clock: now });
    const id = await executed(a);
    clock += 10_000;
    await post(a.base, '/v1/events', event(0.9), INGEST_TOKEN);
    await post(a.base, '/v1/pause', { reason: 'hands off' }, ALICE);
    clock += WINDOW_MS;
    await a.agent.tick();
    await a.agent.tick();
    expect(await reverts(db, id)).toEqual([]);
    expect((await view(a, id)).verification.status).toBe('failed');
    const mine = pages.filter((p) => p.dedup_key === `verify:${id}`);
    expect(mine).toHaveLength(1);
    expect(JSON.stringify(mine[0])).toMatch(/could not be reverted automatically: Not executed: the agent is paused by alice/);
  });
});
