import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimulatedGateway, type SimulatedGateway } from '../../src/actions/simulated.js';
import { schema } from '../../src/db/client.js';
import { decide, joined } from '../../src/proposals/index.js';
import { ALICE, INGEST_TOKEN, gatewayAgreeing, get, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { workdayClock } from '../support/clock.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

/**
 * An approved proposal is never stranded (issue 18, item 4): the decision writes its execute job in
 * the same transaction, so a crash or a database error between the decision and the execution
 * still ends in one execution (or a refusal through the gate), never in `approved` forever.
 */

let db: TestDatabase;
let gateway: SimulatedGateway;
const agents: RunningAgent[] = [];

beforeEach(async () => {
  db = await freshPostgres();
  gateway = createSimulatedGateway({ clock: workdayClock() });
});
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop().catch(() => undefined);
  await db.dispose();
});

const writes = () => gateway.calls().filter((c) => c.call.method !== 'GET' && !c.replayed);

async function agent(name: string, opts: { leaseMs?: number } = {}): Promise<RunningAgent> {
  const a = await startAgent(db, { SRE_CONSUMER_NAME: name }, { gateway, clock: workdayClock(), ...opts });
  agents.push(a);
  return a;
}

async function pendingProposal(a: RunningAgent): Promise<{ id: string; status: string }> {
  expect((await post(a.base, '/v1/events', unhealthy('openai'), INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  const [p] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
  expect(p).toBeDefined();
  return p;
}

const statusOf = async (id: string) => (await db.db.select({ status: schema.proposals.status }).from(schema.proposals).where(eq(schema.proposals.id, id)))[0]!.status;

/** Approves in a transaction the test commits itself, then nothing runs the execution: the request died after its commit. */
async function approveThenDie(a: RunningAgent, id: string): Promise<void> {
  await a.agent.deps.db.transaction((tx) => decide(joined(a.agent.deps, tx), { proposalId: id, decision: 'approve', actor: { type: 'user', name: 'alice', via: 'api' } }));
  expect(await statusOf(id)).toBe('approved');
}

describe('an approved proposal is never stranded', () => {
  it('a database error between the decision and the claim: the approval answers, and the execute job runs it once', async () => {
    const a = await agent('sre-a');
    const p = await pendingProposal(a);
    // The first execution row written fails (a sequence is not rolled back, so it fails once).
    await db.db.execute(sql.raw(`create sequence fault_once;
      create function fail_once() returns trigger language plpgsql as $$ begin if nextval('fault_once') = 1 then raise exception 'injected fault'; end if; return new; end $$;
      create trigger fail_once before insert on executions for each row execute function fail_once();`));
    const r = await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'approved', decided_by: 'alice' });
    expect(writes()).toEqual([]);
    // A retry of the decision is "already decided": only the job can execute it now.
    expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE)).status).toBe(409);
    const [job] = await db.db.select().from(schema.timers).where(eq(schema.timers.key, `execute:${p.id}`));
    expect(job).toMatchObject({ status: 'pending', leasedBy: null, lastError: expect.stringContaining('injected fault') });
    await db.db.update(schema.timers).set({ runAt: new Date(0) }).where(eq(schema.timers.key, `execute:${p.id}`));
    await a.agent.tick();
    expect(await statusOf(p.id)).toBe('succeeded');
    expect(writes()).toHaveLength(1);
    await a.agent.tick();
    expect(writes()).toHaveLength(1);
  });

  it('the replica dies after the decision commits: restarted under its name, it executes the proposal at once, once', async () => {
    const a = await agent('sre-a');
    const p = await pendingProposal(a);
    await approveThenDie(a, p.id);
    await a.stop();
    agents.splice(agents.indexOf(a), 1);
    const again = await agent('sre-a');
    await again.agent.tick();
    expect(await statusOf(p.id)).toBe('succeeded');
    expect(writes()).toHaveLength(1);
  });

  it('the replica dies after the decision commits: a peer takes the execute job over when its lease ends, and executes it once', async () => {
    const a = await agent('sre-a', { leaseMs: 400 });
    const p = await pendingProposal(a);
    await approveThenDie(a, p.id);
    const peer = await agent('sre-b');
    // While the dead replica's lease lasts, the peer leaves the job alone.
    await peer.agent.tick();
    expect(await statusOf(p.id)).toBe('approved');
    // Leases end on the database's clock: wait for that, not for a fixed time.
    for (let i = 0; i < 100 && (await statusOf(p.id)) === 'approved'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await peer.agent.tick();
    }
    expect(await statusOf(p.id)).toBe('succeeded');
    expect(writes()).toHaveLength(1);
    await a.agent.tick();
    expect(writes()).toHaveLength(1);
  });

  it('an auto-approval writes its execute job with the proposal too', async () => {
    gateway = gatewayAgreeing(['openai'], workdayClock());
    const a = await startAgent(db, { SRE_AUTO_APPROVE: 'true', SRE_RISK_THRESHOLD: '100' }, { gateway, clock: workdayClock() });
    agents.push(a);
    expect((await post(a.base, '/v1/events', unhealthy('openai'), INGEST_TOKEN)).status).toBe(202);
    await a.agent.tick();
    const [p] = (await get(a.base, '/v1/proposals', ALICE)).body.proposals;
    expect(p).toMatchObject({ status: 'succeeded', decided_via: 'policy' });
    const [job] = await db.db.select().from(schema.timers).where(eq(schema.timers.key, `execute:${p.id}`));
    expect(job).toMatchObject({ status: 'done', kind: 'execute' });
    expect(writes()).toHaveLength(1);
  });
});
