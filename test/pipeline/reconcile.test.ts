import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { createLogPager } from '../../src/actions/pagerduty.js';
import { createSimulatedGateway, type SimulatedGateway } from '../../src/actions/simulated.js';
import { schema } from '../../src/db/client.js';
import { specFor, storedRequest } from '../../src/domain/actions.js';
import { ALICE, INGEST_TOKEN, get, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { workdayClock, type TestClock } from '../support/clock.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

/**
 * Reconciliation re-sends an execution cut off by a crash only through the gate (issue 18, item 3):
 * never while paused, never for a closed incident, never past SRE_RECONCILE_MAX_AGE (failed, and
 * on-call is paged instead), and once however many replicas look.
 */

let db: TestDatabase;
let gateway: SimulatedGateway;
let clock: TestClock;
const agents: RunningAgent[] = [];

beforeEach(async () => {
  db = await freshPostgres();
  clock = workdayClock();
  gateway = createSimulatedGateway({ clock });
});
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop().catch(() => undefined);
  await db.dispose();
});

const writes = () => gateway.calls().filter((c) => c.call.method !== 'GET');
const firstWrites = () => writes().filter((c) => !c.replayed);

async function agent(name = 'sre-a', env: Record<string, string> = {}): Promise<RunningAgent> {
  const a = await startAgent(db, { SRE_CONSUMER_NAME: name, ...env }, { gateway, clock });
  agents.push(a);
  return a;
}

/** What a crash between claiming an execution and recording its result leaves behind, `agoMs` ago. */
async function crashedExecution(a: RunningAgent, agoMs: number, opts: { sent?: boolean } = {}): Promise<{ proposalId: string; exeId: string }> {
  expect((await post(a.base, '/v1/events', unhealthy('openai'), INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  const [p] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
  const exeId = `exe_crashed_${p.id.slice(-6)}`;
  const startedAt = new Date(clock.nowMs() - agoMs);
  await db.db.update(schema.proposals).set({ status: 'executing', decidedBy: 'alice', decidedVia: 'api', decidedAt: startedAt }).where(eq(schema.proposals.id, p.id));
  await db.db.insert(schema.executions).values({ id: exeId, proposalId: p.id, operation: 'execute', status: 'executing', request: {}, startedAt });
  if (opts.sent) await gateway.send(specFor(p.action).call(storedRequest(p).params)!, exeId);
  return { proposalId: p.id, exeId };
}

const proposal = async (id: string) => (await db.db.select().from(schema.proposals).where(eq(schema.proposals.id, id)))[0]!;
const execution = async (id: string) => (await db.db.select().from(schema.executions).where(eq(schema.executions.id, id)))[0]!;
const pages = (a: RunningAgent) => (a.agent.deps.pager as ReturnType<typeof createLogPager>).pages();

describe('reconciliation passes the gate', () => {
  it('re-sends a recent execution once, under its Idempotency-Key', async () => {
    const a = await agent();
    const { proposalId, exeId } = await crashedExecution(a, 90_000);
    await a.agent.tick();
    expect(await proposal(proposalId)).toMatchObject({ status: 'succeeded' });
    expect(writes().map((w) => w.idempotencyKey)).toEqual([exeId]);
  });

  it('a re-send whose first send had landed: the target shows the effect, the same key replays, nothing acts twice', async () => {
    const a = await agent();
    const { proposalId, exeId } = await crashedExecution(a, 90_000, { sent: true });
    await a.agent.tick();
    expect(await proposal(proposalId)).toMatchObject({ status: 'succeeded' });
    expect(writes().map((w) => [w.idempotencyKey, w.replayed])).toEqual([
      [exeId, false],
      [exeId, true],
    ]);
  });

  it('while paused nothing is re-sent; after resume it is, once', async () => {
    const a = await agent();
    const { proposalId } = await crashedExecution(a, 90_000);
    expect((await post(a.base, '/v1/pause', { reason: 'maintenance' }, ALICE)).status).toBe(200);
    await a.agent.tick();
    await a.agent.tick();
    expect(writes()).toEqual([]);
    expect(await proposal(proposalId)).toMatchObject({ status: 'executing' });
    expect((await post(a.base, '/v1/resume', { reason: 'done' }, ALICE)).status).toBe(200);
    await a.agent.tick();
    expect(await proposal(proposalId)).toMatchObject({ status: 'succeeded' });
    expect(firstWrites()).toHaveLength(1);
  });

  it('the incident closed meanwhile: not re-sent, failed with the reason, and on-call paged', async () => {
    const a = await agent();
    const { proposalId, exeId } = await crashedExecution(a, 90_000);
    await db.db.update(schema.incidents).set({ status: 'closed', closedAt: clock.now() });
    await a.agent.tick();
    await a.agent.tick();
    expect(writes()).toEqual([]);
    expect(await proposal(proposalId)).toMatchObject({ status: 'failed' });
    expect(await execution(exeId)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^not re-sent: the incident closed/) });
    expect(pages(a).filter((p) => p.action === 'trigger').map((p) => p.dedup_key)).toEqual([`reconcile:${exeId}`]);
  });

  it('past SRE_RECONCILE_MAX_AGE: not re-sent, failed, on-call paged once', async () => {
    const a = await agent('sre-a', { SRE_RECONCILE_MAX_AGE: '10m' });
    const { proposalId, exeId } = await crashedExecution(a, 11 * 60_000);
    await a.agent.tick();
    await a.agent.tick();
    expect(writes()).toEqual([]);
    expect(await proposal(proposalId)).toMatchObject({ status: 'failed' });
    expect(await execution(exeId)).toMatchObject({ status: 'failed', error: expect.stringContaining('SRE_RECONCILE_MAX_AGE') });
    expect(pages(a).filter((p) => p.action === 'trigger')).toHaveLength(1);
  });

  it('two replicas reconciling at once re-send once (the reconcile job is leased)', async () => {
    const a = await agent('sre-a');
    const b = await agent('sre-b');
    const { proposalId } = await crashedExecution(a, 90_000);
    await Promise.all([a.agent.tick(), b.agent.tick(), a.agent.tick(), b.agent.tick()]);
    expect(await proposal(proposalId)).toMatchObject({ status: 'succeeded' });
    expect(writes()).toHaveLength(1);
  });
});
