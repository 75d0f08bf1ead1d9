import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryRows, schema } from '../../src/db/client.js';
import { ALICE, INGEST_TOKEN, gatewayAgreeing, get, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

// Two replicas on one database: the brakes are counted in PostgreSQL, so they agree.
const AUTO = { SRE_AUTO_APPROVE: 'true', SRE_RISK_THRESHOLD: '60' };
let db: TestDatabase;
let agents: RunningAgent[] = [];

beforeEach(async () => {
  db = await freshPostgres();
});
afterEach(async () => {
  for (const x of agents) await x.stop();
  agents = [];
  await db.dispose();
});

async function replicas(env: Record<string, string>): Promise<[RunningAgent, RunningAgent]> {
  // Each replica reads its own copy of a gateway that agrees with the events.
  const gateway = () => gatewayAgreeing(['openai', 'anthropic', 'mistral', 'vertex', 'bedrock']);
  agents = [await startAgent(db, { ...AUTO, ...env }, { gateway: gateway() }), await startAgent(db, { ...AUTO, ...env }, { gateway: gateway() })];
  return agents as [RunningAgent, RunningAgent];
}

const event = (provider: string) => unhealthy(provider, { error_rate: 0.7, requests: 60, window_seconds: 60, model_group: undefined });
const all = async (x: RunningAgent) => (await get(x.base, '/v1/proposals', ALICE)).body.proposals as { id: string; status: string; route: string; incident: { latest: { provider: string } }; risk_factors: { name: string; delta: number; reason: string }[] }[];
const executions = async () => (await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from executions where operation = 'execute'`))[0]!.n;

describe('brakes on automatic execution', () => {
  it('cooldown: the same action on the same target never executes automatically twice within it; the second waits with a factor saying why', async () => {
    const [a, b] = await replicas({ SRE_ACTION_COOLDOWN: '30m' });
    await post(a.base, '/v1/events', event('openai'), INGEST_TOKEN);
    await a.agent.tick();
    const [first] = await all(a);
    expect(first).toMatchObject({ status: 'succeeded', route: 'auto' });
    // The incident ends and a new one opens on the same provider: the other replica proposes.
    await db.db.update(schema.incidents).set({ status: 'closed', closedAt: new Date() }).where(eq(schema.incidents.status, 'open'));
    await post(b.base, '/v1/events', event('openai'), INGEST_TOKEN);
    await b.agent.tick();
    const second = (await all(b)).find((p) => p.id !== first!.id)!;
    expect(second).toMatchObject({ status: 'pending', route: 'gate' });
    expect(second.risk_factors).toContainEqual({ name: 'cooldown', delta: 0, reason: expect.stringMatching(/circuit_break_provider on provider:openai already executed at .*SRE_ACTION_COOLDOWN \(30 min\)/) });
    expect(await executions()).toBe(1);
    // A human may still decide it.
    expect((await post(b.base, `/v1/proposals/${second.id}/decision`, { decision: 'approve' }, ALICE)).body.status).toBe('succeeded');
  });

  it('hourly cap: two replicas racing for the last slot execute one; the other waits for a human', async () => {
    const [a, b] = await replicas({ SRE_MAX_ACTIONS_PER_HOUR: '1' });
    await post(a.base, '/v1/events', event('openai'), INGEST_TOKEN);
    await post(b.base, '/v1/events', event('anthropic'), INGEST_TOKEN);
    await Promise.all([a.agent.tick(), b.agent.tick()]);
    const ps = await all(a);
    expect(ps).toHaveLength(2);
    expect(ps.map((p) => p.status).sort()).toEqual(['pending', 'succeeded']);
    expect(await executions()).toBe(1);
    const held = ps.find((p) => p.status === 'pending')!;
    expect(held.risk_factors).toContainEqual({ name: 'hourly_cap', delta: 0, reason: expect.stringMatching(/1 executions in the last hour reached SRE_MAX_ACTIONS_PER_HOUR \(1\)/) });
    const kinds = await queryRows<{ kind: string }>(db.db, sql`select kind from sre_actions where proposal_id = ${held.id} order by seq`);
    // Either held at routing (the count was already 1) or at the gate (the claim lost the race).
    const k = kinds.map((x) => x.kind);
    if (k.includes('proposal.approved')) expect(k).toContain('proposal.held');
    expect(k).not.toContain('execution.started');
    // Past the cap every proposal waits; a third incident on either replica is not executed.
    await post(b.base, '/v1/events', event('mistral'), INGEST_TOKEN);
    await b.agent.tick();
    expect((await all(b)).filter((p) => p.status === 'pending')).toHaveLength(2);
    expect(await executions()).toBe(1);
  });
});
