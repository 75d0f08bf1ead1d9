import { sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { beforeEach, describe, expect } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { closeQuietIncidents } from '../../src/ingest/close-quiet.js';
import { ALICE, BOB, INGEST_TOKEN, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import { WORKDAY_START, readingClock } from '../support/clock.js';
import type { TestDatabase } from '../support/db.js';
import { agentTest as test, type Msw } from '../support/fixtures.js';

const ADMIN = 'https://admin.scutum.test';
const ENV = { ADMIN_API_URL: ADMIN, ADMIN_API_TOKEN: 'admin-secret' };

/**
 * The admin-api over HTTP: provider reads answer from `state`, so a test changes the present between
 * proposal and approval. Not the simulated gateway: the re-check is tested against read failures
 * (`readStatus` 5xx) and a circuit already open, HTTP answers the simulated gateway does not give.
 */
function adminApi(server: Msw) {
  const state = { healthy: false, openUntil: null as string | null, readStatus: 200 };
  const writes: string[] = [];
  const reads: string[] = [];
  server.use(
    http.get(`${ADMIN}/v1/providers/:p`, ({ params }) =>
      (reads.push(`provider ${String(params.p)}`), state.readStatus) === 200 ? HttpResponse.json({ name: params.p, healthy: state.healthy, circuit_open_until: state.openUntil }) : HttpResponse.json({ error: 'down' }, { status: state.readStatus }),
    ),
    http.get(`${ADMIN}/v1/model-groups/:g`, ({ params }) =>
      HttpResponse.json({ name: params.g, provider: 'openai', providers: [{ name: 'openai', healthy: state.healthy }, { name: 'azure-openai', healthy: true }] }),
    ),
    http.all(`${ADMIN}/v1/*`, ({ request }) => {
      writes.push(`${request.method} ${new URL(request.url).pathname}`);
      return HttpResponse.json({ ok: true });
    }),
  );
  return { state, writes, reads };
}

// A clock the test moves: proposals are made at 10:00 on a Tuesday.
let clock = WORKDAY_START;
const now = readingClock(() => clock);

beforeEach(async () => {
  clock = WORKDAY_START;
});

async function proposal(agent: RunningAgent, provider = 'openai') {
  expect((await post(agent.base, '/v1/events', unhealthy(provider, { error_rate: 0.7, requests: 60, window_seconds: 60 }), INGEST_TOKEN)).status).toBe(202);
  await agent.agent.tick();
  const list = (await get(agent.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
  return list.find((p: { incident: { latest: { provider?: string } } }) => p.incident.latest.provider === provider);
}

const approve = (a: RunningAgent, id: string, token = ALICE) => post(a.base, `/v1/proposals/${id}/decision`, { decision: 'approve' }, token);
const audits = (db: TestDatabase, id: string, kind: string) => queryRows<{ payload: Record<string, unknown> }>(db.db, sql`select payload from sre_actions where proposal_id = ${id} and kind = ${kind} order by seq`);

describe('re-check at decision time', () => {
  test('the provider is healthy again: 409 stale, nothing executed, the proposal marked, audited, and a fresh one made', async ({ startAgent, db, msw: server }) => {
    const api = adminApi(server);
    const a = await startAgent(ENV, { clock: now });
    const p = await proposal(a);
    expect(p).toMatchObject({ action: 'circuit_break_provider', status: 'pending' });
    api.state.healthy = true;
    clock += 60_000;
    const r = await approve(a, p.id);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'stale', stale_reason: 'openai is healthy again' });
    expect(r.body.error).toMatch(/Not executed: openai is healthy again/);
    expect(api.writes).toEqual([]);
    const after = (await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body;
    expect(after).toMatchObject({ status: 'stale', stale_reason: 'openai is healthy again', decided_by: 'alice' });
    const [stale] = await audits(db, p.id, 'proposal.stale');
    expect(stale!.payload).toMatchObject({ reason: 'openai is healthy again', fresh_proposal: true });
    expect((stale!.payload.checked as { check: string; ok: boolean }[]).map((c) => [c.check, c.ok])).toEqual([['incident', true], ['target', false], ['risk', true]]);

    // The incident is still open: a fresh proposal, reasoned from the present, waits for a human.
    await a.agent.tick();
    const all = (await get(a.base, `/v1/proposals`, ALICE)).body.proposals.filter((x: { incident_id: string }) => x.incident_id === p.incident_id);
    expect(all.map((x: { status: string }) => x.status).sort()).toEqual(['pending', 'stale']);
    const fresh = all.find((x: { status: string }) => x.status === 'pending');
    expect((await audits(db, fresh.id, 'proposal.created'))[0]!.payload).toMatchObject({ replaces: p.id });
    // Reasoned from the present: the provider is healthy now, and the breaker is not re-proposed blindly.
    expect(fresh.id).not.toBe(p.id);
  });

  test("the provider's breaker is already open", async ({ startAgent, msw: server }) => {
    const api = adminApi(server);
    const a = await startAgent(ENV, { clock: now });
    const p = await proposal(a);
    api.state.openUntil = new Date(clock + 120_000).toISOString();
    const r = await approve(a, p.id);
    expect(r.body).toMatchObject({ code: 'stale', stale_reason: expect.stringMatching(/breaker of openai is already open until/) });
    expect(api.writes).toEqual([]);
  });

  test('a gateway read that fails is refused as stale, "could not confirm the current state" (fail closed)', async ({ startAgent, msw: server }) => {
    const api = adminApi(server);
    const a = await startAgent(ENV, { clock: now });
    const p = await proposal(a);
    api.state.readStatus = 503;
    const r = await approve(a, p.id);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'stale', stale_reason: expect.stringMatching(/^could not confirm the current state/) });
    expect(api.writes).toEqual([]);
  });

  test('the incident closed: stale, and no fresh proposal', async ({ startAgent, db, msw: server }) => {
    const api = adminApi(server);
    const a = await startAgent(ENV, { clock: now });
    const p = await proposal(a);
    clock += 31 * 60_000;
    expect(await closeQuietIncidents(a.agent.deps, 30 * 60_000)).toEqual([p.incident_id]);
    const r = await approve(a, p.id);
    expect(r.body).toMatchObject({ code: 'stale', stale_reason: expect.stringMatching(/the incident closed at/) });
    await a.agent.tick();
    const all = (await get(a.base, `/v1/proposals`, ALICE)).body.proposals;
    expect(all.map((x: { status: string }) => x.status)).toEqual(['stale']);
    expect(api.writes).toEqual([]);
    expect((await audits(db, p.id, 'proposal.stale'))[0]!.payload).toMatchObject({ fresh_proposal: false });
  });

  test('the incident went quiet since the proposal', async ({ startAgent, msw: server }) => {
    adminApi(server);
    const a = await startAgent({ ...ENV, SRE_VERIFY_WINDOW: '5m' }, { clock: now });
    const e = unhealthy('openai', { error_rate: 0.7, requests: 60, window_seconds: 60 });
    await post(a.base, '/v1/events', e, INGEST_TOKEN);
    clock += 1000;
    await a.agent.tick();
    const [p] = (await get(a.base, '/v1/proposals', ALICE)).body.proposals;
    clock += 10 * 60_000;
    expect((await approve(a, p.id)).body).toMatchObject({ code: 'stale', stale_reason: expect.stringMatching(/went quiet: no event since .* \(10 min\)/) });
  });

  test('the risk scored again rose past what the approver saw (approved at night)', async ({ startAgent, msw: server }) => {
    const api = adminApi(server);
    const a = await startAgent(ENV, { clock: now });
    const p = await proposal(a);
    // A new event keeps the incident lively; then the approval comes at 23:00.
    clock += 13 * 3_600_000 - 60_000;
    await post(a.base, '/v1/events', unhealthy('openai', { error_rate: 0.7, requests: 60, window_seconds: 60 }), INGEST_TOKEN);
    clock += 60_000;
    const r = await approve(a, p.id);
    expect(r.body).toMatchObject({ code: 'stale', stale_reason: expect.stringMatching(new RegExp(`risk scored again is ${p.risk_score + 10}, above the ${p.risk_score} the approver saw.*time_of_day \\+10`)) });
    expect(api.writes).toEqual([]);
  });

  test('unchanged: the approval executes, and the audit records what was checked', async ({ startAgent, db, msw: server }) => {
    const api = adminApi(server);
    const a = await startAgent(ENV, { clock: now });
    const p = await proposal(a);
    api.reads.length = 0;
    expect((await approve(a, p.id)).body).toMatchObject({ status: 'succeeded', stale_reason: null, verification: { status: 'pending' } });
    expect(api.writes).toEqual(['POST /v1/providers/openai/circuit-breaker']);
    const [started] = await audits(db, p.id, 'execution.started');
    expect((started!.payload.recheck as { check: string; ok: boolean }[]).map((c) => [c.check, c.ok])).toEqual([['incident', true], ['target', true], ['risk', true]]);
    // The re-check reads the provider once: the target read and the new score's facts share it.
    expect(api.reads).toEqual(['provider openai']);
  });

  test('approve racing the incident closing: each proposal either executed while open or went stale, never both', async ({ db, startAgent, msw: server }) => {
    const api = adminApi(server);
    const a = await startAgent(ENV, { clock: now });
    const providers = ['openai', 'anthropic', 'bedrock', 'vertex', 'mistral', 'azure-openai'];
    const ps = [];
    for (const pr of providers) ps.push(await proposal(a, pr));
    clock += 31 * 60_000;
    // Keep the re-check's quiet rule out of it: the race is with the close itself.
    const racers = ps.map((p, i) => approve(a, p.id, i % 2 ? ALICE : BOB));
    const [answers] = await Promise.all([Promise.all(racers), closeQuietIncidents(a.agent.deps, 30 * 60_000)]);
    const views = await Promise.all(ps.map(async (p) => (await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body));
    let executed = 0;
    for (const [i, v] of views.entries()) {
      const kinds = await queryRows<{ kind: string }>(db.db, sql`select kind from sre_actions where incident_id = ${v.incident_id} and kind in ('execution.started', 'incident.closed') order by seq`);
      if (v.status === 'succeeded') {
        executed++;
        expect(answers[i]!.status).toBe(200);
        // The claim came first: the incident closed after the execution started.
        expect(kinds.map((k) => k.kind)[0]).toBe('execution.started');
      } else {
        expect(v.status).toBe('stale');
        expect(answers[i]!.body).toMatchObject({ code: 'stale' });
        expect(kinds.map((k) => k.kind)).toEqual(['incident.closed']);
      }
    }
    expect(api.writes).toHaveLength(executed);
  }, 60_000);
});
