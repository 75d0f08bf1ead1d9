import { eq, sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import type { SimulatedGateway } from '../../src/actions/simulated.js';
import { queryRows, schema } from '../../src/db/client.js';
import { ACTIONS } from '../../src/domain/actions.js';
import { ALICE, BOB, INGEST_TOKEN, gatewayAgreeing, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import { workdayClock } from '../support/clock.js';
import { agentTest } from '../support/fixtures.js';

// A weekday afternoon in UTC: the time-of-day heuristic adds nothing, so scores are exact.
const NOW = new Date('2026-11-23T14:00:00Z');

// The simulated gateway reads the providers failing, as the events say, each used by one team (no
// blast-radius factor); it applies each Idempotency-Key once and replays it afterwards, as the admin-api does.
const FAILING = ['openai', 'mistral'];
const test = agentTest;
test.scoped({
  clock: async ({}, use) => use(workdayClock(NOW.getTime())), // eslint-disable-line no-empty-pattern
  gateway: async ({ clock }, use) => use(gatewayAgreeing(FAILING, clock, (s) => FAILING.forEach((p) => (s.providers[p]!.teams = 1)))),
});
const applied = (gateway: SimulatedGateway) => gateway.calls().filter((c) => !c.replayed);

async function incidentWithProposal(agent: RunningAgent, provider = 'openai', errorRate = 0.7) {
  const e = unhealthy(provider, { error_rate: errorRate, requests: 60, window_seconds: 60 });
  expect((await post(agent.base, '/v1/events', e, INGEST_TOKEN)).status).toBe(202);
  await agent.agent.tick();
  const list = await get(agent.base, '/v1/proposals', ALICE);
  return list.body.proposals[0];
}

describe('routing at the threshold', () => {
  test('auto-executes at score = threshold, recorded as approved by the policy', async ({ gateway, startAgent }) => {
    // circuit-break 300 s: baseline 15 + magnitude 10 = 25.
    const a = await startAgent({ SRE_AUTO_APPROVE: 'true', SRE_RISK_THRESHOLD: '25' });
    const p = await incidentWithProposal(a);
    expect(p.risk_score).toBe(25);
    expect(p.risk_factors).toEqual([
      { name: 'baseline', delta: 15, reason: expect.any(String) },
      { name: 'magnitude', delta: 10, reason: expect.any(String) },
    ]);
    expect(p).toMatchObject({ status: 'succeeded', route: 'auto', decided_by: 'system:policy' });
    expect(applied(gateway)).toHaveLength(1);
    expect(applied(gateway)[0]!.call.path).toBe('/v1/providers/openai/circuit-breaker');
    expect(applied(gateway)[0]!.call.body).toMatchObject({ duration_seconds: 300 });
  });

  test('waits for a human at score = threshold + 1', async ({ gateway, startAgent }) => {
    const a = await startAgent({ SRE_AUTO_APPROVE: 'true', SRE_RISK_THRESHOLD: '24' });
    const p = await incidentWithProposal(a);
    expect(p).toMatchObject({ risk_score: 25, status: 'pending', route: 'gate', decided_by: null });
    expect(applied(gateway)).toHaveLength(0);
  });

  test('waits for a human whatever the score when auto-approve is off', async ({ startAgent }) => {
    const a = await startAgent({ SRE_RISK_THRESHOLD: '100' });
    expect(await incidentWithProposal(a)).toMatchObject({ status: 'pending' });
  });
});

describe('deciding exactly once', () => {
  test('20 concurrent approvals make one decision and one admin-api call', async ({ db, gateway, startAgent }) => {
    const a = await startAgent();
    const p = await incidentWithProposal(a);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, i % 2 ? ALICE : BOB)),
    );
    const ok = answers.filter((r) => r.status === 200);
    const conflicts = answers.filter((r) => r.status === 409);
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    expect(conflicts[0]!.body.error).toMatch(/already decided by (alice|bob)/);
    expect(applied(gateway)).toHaveLength(1);
    const dup = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from sre_actions where kind = 'decision.duplicate' and proposal_id = ${p.id}`);
    expect(dup[0]!.n).toBe(19);
    expect((await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body).toMatchObject({ status: 'succeeded', decided_via: 'api' });
  });

  test('approve racing reject: one wins, the other is told who decided', async ({ gateway, startAgent }) => {
    const a = await startAgent();
    const p = await incidentWithProposal(a);
    const [x, y] = await Promise.all([
      post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE),
      post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'not now' }, BOB),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const final = (await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body;
    if (final.status === 'rejected') expect(applied(gateway)).toHaveLength(0);
    else expect(applied(gateway)).toHaveLength(1);
  });

  test('refuses decisions without an operator token and bad decision bodies', async ({ startAgent }) => {
    const a = await startAgent();
    const p = await incidentWithProposal(a);
    expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' })).status).toBe(401);
    expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve all' }, ALICE)).status).toBe(400);
    expect((await post(a.base, `/v1/proposals/prp_nope/decision`, { decision: 'approve' }, ALICE)).status).toBe(404);
    expect((await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body.status).toBe('pending');
  });

  test('a rejection records the operator and the reason, and executes nothing', async ({ gateway, startAgent }) => {
    const a = await startAgent();
    const p = await incidentWithProposal(a);
    const r = await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'provider recovering' }, BOB);
    expect(r.body).toMatchObject({ status: 'rejected', decided_by: 'bob', decision_reason: 'provider recovering' });
    expect(applied(gateway)).toHaveLength(0);
  });
});

describe('restarts and crashes', () => {
  test('a restarted agent still has the pending proposals and can decide them', async ({ gateway, startAgent }) => {
    let a = await startAgent();
    const p1 = await incidentWithProposal(a, 'openai');
    const p2 = await incidentWithProposal(a, 'mistral');
    await a.stop();
    a = await startAgent();
    const pending = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals.map((p: { id: string }) => p.id).sort();
    expect(pending).toEqual([p1.id, p2.id].sort());
    const r = await post(a.base, `/v1/proposals/${p1.id}/decision`, { decision: 'approve' }, ALICE);
    expect(r.body.status).toBe('succeeded');
    expect(applied(gateway)).toHaveLength(1);
  });

  test('a crash between the admin-api call and recording its result is reconciled with the same key, never fired twice', async ({ db, gateway, startAgent }) => {
    let a = await startAgent();
    const p = await incidentWithProposal(a);
    // The crash: approved, marked executing, the call sent — and the process died before recording.
    const exeId = 'exe_crashed_1';
    await db.db.update(schema.proposals).set({ status: 'executing', decidedBy: 'alice', decidedAt: NOW }).where(eq(schema.proposals.id, p.id));
    await db.db.insert(schema.executions).values({ id: exeId, proposalId: p.id, operation: 'execute', status: 'executing', request: {}, startedAt: new Date(NOW.getTime() - 120_000) });
    await a.agent.deps.gateway.send(ACTIONS.circuit_break_provider.call(p.params)!, exeId);
    expect(applied(gateway)).toHaveLength(1);
    await a.stop();

    a = await startAgent();
    await a.agent.tick();
    expect(gateway.calls().filter((c) => c.idempotencyKey === exeId)).toHaveLength(2);
    expect(applied(gateway)).toHaveLength(1);
    const final = (await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body;
    expect(final).toMatchObject({ status: 'succeeded', result: { ok: true, execution_id: exeId } });
    const kinds = await queryRows<{ kind: string }>(db.db, sql`select kind from sre_actions where proposal_id = ${p.id} order by seq`);
    expect(kinds.map((k) => k.kind)).toContain('execution.reconciled');
  });
});
