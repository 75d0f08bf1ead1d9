import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { queryRows } from '../../src/db/client.js';
import { ALICE, BOB, INGEST_TOKEN, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import type { TestDatabase } from '../support/db.js';
import { ADMIN, adminApiStandIn as adminApi } from '../support/admin-api.js';
import { agentTest as test } from '../support/fixtures.js';

const CAROL = 'carol-token-0123456789abcd';
const DAVE = 'dave-token-0123456789abcde';


// Circuit-breaking scores 25 here: at a two-person score of 20 every proposal needs two people.
const ENV = {
  ADMIN_API_URL: ADMIN,
  ADMIN_API_TOKEN: 'admin-secret',
  SRE_TWO_PERSON_SCORE: '20',
  SRE_API_TOKENS: `alice:${ALICE},bob:${BOB},carol:${CAROL},dave:${DAVE}`,
};
afterEach(async () => {
  vi.unstubAllEnvs();
});

async function pendingProposal(agent: RunningAgent, provider = 'openai') {
  expect((await post(agent.base, '/v1/events', unhealthy(provider, { requests: 60, window_seconds: 60 }), INGEST_TOKEN)).status).toBe(202);
  await agent.agent.tick();
  const list = await get(agent.base, '/v1/proposals?status=pending', ALICE);
  expect(list.body.proposals).toHaveLength(1);
  return list.body.proposals[0];
}

const approve = (a: RunningAgent, id: string, token: string) => post(a.base, `/v1/proposals/${id}/decision`, { decision: 'approve' }, token);
const kinds = async (db: TestDatabase, id: string) => (await queryRows<{ kind: string; actor: string }>(db.db, sql`select kind, actor from sre_actions where proposal_id = ${id} and kind not in ('proposal.created', 'risk.scored', 'reasoning.completed') order by seq`));

describe('two-person rule over the JSON API', () => {
  test('one approval does nothing, the same person twice is refused with 409, a second person executes once', async ({ startAgent, db, msw: server }) => {
    const applied = adminApi(server);
    const a = await startAgent(ENV);
    const p = await pendingProposal(a);
    expect(p).toMatchObject({ risk_score: 25, route: 'gate', approvals_required: 2, approvals: [] });

    const first = await approve(a, p.id, ALICE);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'pending', approvals: [{ by: 'alice', via: 'api', at: expect.any(String) }], approval_progress: '1 of 2: alice', decided_by: null });
    expect(applied).toHaveLength(0);

    const again = await approve(a, p.id, ALICE);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'same_approver', approvals: ['alice'], required: 2 });
    expect(again.body.error).toContain('1 of 2: alice');

    const second = await approve(a, p.id, BOB);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'succeeded', decided_by: 'bob', approval_progress: null, approvals: [{ by: 'alice', via: 'api' }, { by: 'bob', via: 'api' }] });
    expect(applied.map((x) => x.path)).toEqual(['/v1/providers/openai/circuit-breaker']);
    expect((await get(a.base, `/v1/proposals/${p.id}`, CAROL)).body.approvals.map((x: { by: string }) => x.by)).toEqual(['alice', 'bob']);
    expect((await kinds(db, p.id)).map((r) => `${r.kind} ${r.actor}`)).toEqual([
      'approval.recorded alice',
      'decision.duplicate alice',
      'proposal.approved bob',
      'execution.started system:agent',
      'execution.succeeded system:agent',
      'verification.started system:verifier',
    ]);
  });

  test('racing second approvals execute once; the losers are told it was already decided', async ({ db, startAgent, msw: server }) => {
    const applied = adminApi(server);
    const a = await startAgent(ENV);
    const p = await pendingProposal(a);
    expect((await approve(a, p.id, ALICE)).status).toBe(200);
    const answers = await Promise.all([BOB, CAROL, DAVE, BOB, CAROL, DAVE].map((t) => approve(a, p.id, t)));
    const won = answers.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(won[0]!.body.status).toBe('succeeded');
    expect(answers.filter((r) => r.status === 409).every((r) => r.body.code === 'already_decided' || r.body.code === 'same_approver')).toBe(true);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(5);
    expect(applied).toHaveLength(1);
    const rows = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from proposal_approvals where proposal_id = ${p.id}`);
    expect(rows[0]!.n).toBe(2);
  });

  test('a rejection by anyone ends it, even after the first approval', async ({ startAgent, msw: server }) => {
    const applied = adminApi(server);
    const a = await startAgent(ENV);
    const p = await pendingProposal(a);
    expect((await approve(a, p.id, ALICE)).status).toBe(200);
    const rej = await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'not now' }, BOB);
    expect(rej.status).toBe(200);
    expect(rej.body).toMatchObject({ status: 'rejected', decided_by: 'bob' });
    const late = await approve(a, p.id, CAROL);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('already_decided');
    expect(applied).toHaveLength(0);
  });

  test('approver rules bind the API and the CLI: others are refused (403, audited), the named ones approve', async ({ db, startAgent, msw: server }) => {
    const applied = adminApi(server);
    const env = { ...ENV, SRE_TWO_PERSON_SCORE: '100', SRE_APPROVER_RULES: 'circuit_break_provider:carol|dave' };
    const a = await startAgent(env);
    const p = await pendingProposal(a);
    const denied = await approve(a, p.id, ALICE);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'forbidden' });
    expect(denied.body.error).toContain('only carol, dave may approve circuit_break_provider');

    // The CLI reads the same configuration: --as bob is refused, --as carol approves.
    for (const [k, v] of Object.entries({ ...env, DATABASE_URL: db.url, NODE_ENV: 'test', LOG_LEVEL: 'silent' })) vi.stubEnv(k, v);
    // The CLI builds its own agent on the system clock: pin it to the agent's, or the re-check at
    // approval scores the risk at another hour than the proposal was scored at.
    vi.useFakeTimers({ toFake: ['Date'], now: a.agent.deps.clock.now() });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['approve', p.id, '--as', 'bob'])).toBe(1);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toContain('only carol, dave may approve');
      expect(applied).toHaveLength(0);
      expect(await main(['approve', p.id, '--as', 'carol'])).toBe(0);
      expect(String(stdout.mock.calls.at(-1)?.[0])).toContain('succeeded by carol');
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
      vi.useRealTimers();
    }
    expect(applied).toHaveLength(1);
    const denials = (await kinds(db, p.id)).filter((r) => r.kind === 'decision.denied').map((r) => r.actor);
    expect(denials).toEqual(['alice', 'bob']);
  });

  test('the CLI records a first approval and refuses the same operator twice (exit 3)', async ({ db, startAgent, msw: server }) => {
    const applied = adminApi(server);
    const a = await startAgent(ENV);
    const p = await pendingProposal(a);
    for (const [k, v] of Object.entries({ ...ENV, DATABASE_URL: db.url, NODE_ENV: 'test', LOG_LEVEL: 'silent' })) vi.stubEnv(k, v);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['approve', p.id, '--as', 'carol'])).toBe(0);
      expect(String(stdout.mock.calls.at(-1)?.[0])).toContain('approval recorded (1 of 2: carol)');
      expect(await main(['approve', p.id, '--as', 'carol'])).toBe(3);
      expect(applied).toHaveLength(0);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
    expect((await approve(a, p.id, DAVE)).body.status).toBe('succeeded');
    expect(applied).toHaveLength(1);
  });
});
