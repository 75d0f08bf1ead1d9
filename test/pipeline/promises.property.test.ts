import fc from 'fast-check';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { SimulatedGateway } from '../../src/actions/simulated.js';
import { queryRows, schema } from '../../src/db/client.js';
import { decide, joined } from '../../src/proposals/index.js';
import { ALICE, BOB, INGEST_TOKEN, gatewayAgreeing, get, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { workdayClock, type TestClock } from '../support/clock.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { eventually } from '../support/eventually.js';

/**
 * The agent's promises under random interleavings (issue 18): approvals (whole, or cut off by a
 * crash after the decision commits), pauses and resumes, executions cut off by a crash,
 * reconciliation, restarts and incidents closing, over two agents on one PostgreSQL. After every
 * run: no execution was claimed while paused, no proposal's action reached the gateway twice, and
 * no approved proposal was left approved (or executing) once the dust settled.
 */

const PROVIDERS = ['openai', 'anthropic', 'bedrock'] as const;
const LEASE_MS = 300;

type Op =
  | { op: 'approve'; agent: number; proposal: number; as: 'alice' | 'bob' }
  | { op: 'approve_then_crash'; agent: number; proposal: number }
  | { op: 'cut_off_execution'; proposal: number; sent: boolean }
  | { op: 'pause'; agent: number }
  | { op: 'resume'; agent: number }
  | { op: 'tick'; agent: number }
  | { op: 'restart'; agent: number }
  | { op: 'close'; proposal: number }
  | { op: 'both'; first: Op; second: Op };

const agentIx = fc.integer({ min: 0, max: 1 });
const proposalIx = fc.integer({ min: 0, max: PROVIDERS.length - 1 });
const single: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('approve' as const), agent: agentIx, proposal: proposalIx, as: fc.constantFrom('alice' as const, 'bob' as const) }),
  fc.record({ op: fc.constant('approve_then_crash' as const), agent: agentIx, proposal: proposalIx }),
  fc.record({ op: fc.constant('cut_off_execution' as const), proposal: proposalIx, sent: fc.boolean() }),
  fc.record({ op: fc.constant('pause' as const), agent: agentIx }),
  fc.record({ op: fc.constant('resume' as const), agent: agentIx }),
  fc.record({ op: fc.constant('tick' as const), agent: agentIx }),
  fc.record({ op: fc.constant('restart' as const), agent: agentIx }),
  fc.record({ op: fc.constant('close' as const), proposal: proposalIx }),
);
const op: fc.Arbitrary<Op> = fc.oneof({ weight: 4, arbitrary: single }, { weight: 1, arbitrary: fc.record({ op: fc.constant('both' as const), first: single, second: single }) });

interface World {
  db: TestDatabase;
  clock: TestClock;
  gateway: SimulatedGateway;
  agents: (RunningAgent | undefined)[];
  proposals: { id: string; incidentId: string; params: Record<string, unknown>; action: string }[];
}

const token = (as: 'alice' | 'bob') => (as === 'alice' ? ALICE : BOB);

const starting = new Map<World, Map<number, Promise<RunningAgent>>>();

async function start(w: World, i: number): Promise<RunningAgent> {
  const a = await startAgent(w.db, { SRE_CONSUMER_NAME: `sre-${i}`, SRE_RECONCILE_MAX_AGE: '10m' }, { gateway: w.gateway, clock: w.clock, leaseMs: LEASE_MS });
  w.agents[i] = a;
  return a;
}

/** The replica at `i`, started once even when two concurrent operations ask for it. */
function live(w: World, i: number): Promise<RunningAgent> {
  const a = w.agents[i];
  if (a) return Promise.resolve(a);
  const m = starting.get(w) ?? new Map<number, Promise<RunningAgent>>();
  starting.set(w, m);
  const p = m.get(i) ?? start(w, i).finally(() => m.delete(i));
  m.set(i, p);
  return p;
}

/** A request to a replica that a concurrent operation restarts may find it gone: that is part of the interleaving. */
const GONE = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE']);
const attempt = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => {
  if (!(e instanceof TypeError) && !GONE.has(String((e as { code?: unknown }).code))) throw e;
});

async function run(w: World, o: Op): Promise<void> {
  switch (o.op) {
    case 'approve': {
      const a = await live(w, o.agent);
      await attempt(post(a.base, `/v1/proposals/${w.proposals[o.proposal]!.id}/decision`, { decision: 'approve' }, token(o.as)));
      return;
    }
    case 'approve_then_crash': {
      // The decision commits, the request dies before running the execution, the replica with it.
      const a = await live(w, o.agent);
      await a.agent.deps.db
        .transaction((tx) => decide(joined(a.agent.deps, tx), { proposalId: w.proposals[o.proposal]!.id, decision: 'approve', actor: { type: 'user', name: 'alice', via: 'api' } }))
        .catch(() => undefined);
      await crash(w, o.agent);
      return;
    }
    case 'cut_off_execution': {
      // A crash between claiming an execution and recording its result (the call sent or not).
      const p = w.proposals[o.proposal]!;
      const [claimed] = await w.db.db
        .update(schema.proposals)
        .set({ status: 'executing', decidedBy: 'alice', decidedVia: 'api', decidedAt: w.clock.now() })
        .where(and(eq(schema.proposals.id, p.id), eq(schema.proposals.status, 'approved')))
        .returning();
      if (!claimed) return;
      const exeId = `exe_cut_${p.id.slice(-8)}`;
      await w.db.db.insert(schema.executions).values({ id: exeId, proposalId: p.id, operation: 'execute', status: 'executing', request: {}, startedAt: new Date(w.clock.nowMs() - 120_000) }).onConflictDoNothing();
      if (o.sent) await claimedSend(w, p, exeId);
      return;
    }
    case 'pause': {
      const a = await live(w, o.agent);
      await attempt(post(a.base, '/v1/pause', { reason: 'property test' }, ALICE));
      return;
    }
    case 'resume': {
      const a = await live(w, o.agent);
      await attempt(post(a.base, '/v1/resume', { reason: 'property test' }, BOB));
      return;
    }
    case 'tick':
      await (await live(w, o.agent)).agent.tick();
      return;
    case 'restart':
      await crash(w, o.agent);
      await start(w, o.agent);
      return;
    case 'close':
      await w.db.db.update(schema.incidents).set({ status: 'closed', closedAt: w.clock.now() }).where(eq(schema.incidents.id, w.proposals[o.proposal]!.incidentId));
      return;
    case 'both':
      await Promise.all([run(w, o.first), run(w, o.second)]);
      return;
  }
}

/** A send made before the crash cut the execution off, as the agent would have sent it (same key). */
async function claimedSend(w: World, p: World['proposals'][number], exeId: string): Promise<void> {
  const { specFor } = await import('../../src/domain/actions.js');
  const call = specFor(p.action as never).call(p.params as never);
  // The gate had passed for this claim only if the switch was off: otherwise the crash cut nothing.
  const [sw] = await w.db.db.select().from(schema.agentSwitch);
  if (call && !sw?.paused) await w.gateway.send(call, exeId).catch(() => undefined);
}

/** The process dies: nothing is handed back, its leases run out on the database's clock. */
async function crash(w: World, i: number): Promise<void> {
  const a = w.agents[i];
  if (!a) return;
  w.agents[i] = undefined;
  // stop() hands back only what this replica was running; a job it wrote leased to itself and
  // never started (an approval cut off after its commit) keeps its lease until it runs out.
  await a.stop().catch(() => undefined);
}

/** Waits until the database's clock has passed every lease outstanding now (a crashed replica's run out on it). */
async function leasesRunOut(w: World): Promise<void> {
  const [row] = await queryRows<{ until: string | null }>(
    w.db.db,
    sql`select max(t) as until from (select max(lease_expires_at) as t from outbox union all select max(lease_expires_at) from timers) m`,
  );
  if (!row?.until) return;
  const until = row.until;
  await eventually(async () => (await queryRows<{ past: boolean }>(w.db.db, sql`select now() >= ${until}::timestamptz as past`))[0]?.past, { what: `the leases to run out at ${until}` });
}

async function settle(w: World): Promise<void> {
  // Leases of crashed replicas end on the database's clock; then both replicas work until quiet.
  await leasesRunOut(w);
  const a = await live(w, 0);
  await post(a.base, '/v1/resume', { reason: 'settling' }, BOB);
  await live(w, 1);
  for (let i = 0; i < 6; i++) {
    await w.clock.advance(6_000);
    await Promise.all(w.agents.map((x) => x?.agent.tick()));
  }
}

async function check(w: World): Promise<void> {
  const rows = await w.db.db.select().from(schema.sreActions).orderBy(asc(schema.sreActions.seq));
  let paused = false;
  const startedWhilePaused: string[] = [];
  for (const r of rows) {
    if (r.kind === 'agent.paused') paused = true;
    if (r.kind === 'agent.resumed') paused = false;
    if ((r.kind === 'execution.started' || r.kind === 'execution.reconciled') && paused && r.payload.operation === 'execute') startedWhilePaused.push(`${r.kind} ${String(r.payload.execution_id)}`);
  }
  expect(startedWhilePaused).toEqual([]);
  const exes = await w.db.db.select().from(schema.executions);
  const proposalOf = new Map(exes.map((e) => [e.id, e.proposalId]));
  const acted = new Map<string, number>();
  for (const c of w.gateway.calls()) {
    if (c.call.method === 'GET' || c.replayed) continue;
    const p = proposalOf.get(c.idempotencyKey) ?? `unknown:${c.idempotencyKey}`;
    acted.set(p, (acted.get(p) ?? 0) + 1);
  }
  expect([...acted].filter(([, n]) => n > 1)).toEqual([]);
  const left = await w.db.db.select({ id: schema.proposals.id, status: schema.proposals.status }).from(schema.proposals).where(inArray(schema.proposals.status, ['approved', 'executing']));
  expect(left).toEqual([]);
}

describe('promises on side paths', () => {
  it('hold under random interleavings of approvals, pauses, crashes, restarts, reconciliation and closes over two agents', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 9 }), async (ops) => {
        const w: World = { db: await freshPostgres(), clock: workdayClock(), gateway: undefined as never, agents: [], proposals: [] };
        w.gateway = gatewayAgreeing([...PROVIDERS], w.clock);
        try {
          const a = await start(w, 0);
          expect((await post(a.base, '/v1/events', PROVIDERS.map((p) => unhealthy(p, { model_group: undefined })), INGEST_TOKEN)).status).toBe(202);
          await a.agent.tick();
          const list = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals as { id: string; incident_id: string; params: Record<string, unknown>; action: string; incident: { subject: string } }[];
          w.proposals = PROVIDERS.map((prov) => list.find((p) => p.incident.subject === `provider ${prov}`)!).map((p) => ({ id: p.id, incidentId: p.incident_id, params: p.params, action: p.action }));
          expect(w.proposals).toHaveLength(PROVIDERS.length);
          for (const o of ops) await run(w, o);
          await settle(w);
          await check(w);
        } finally {
          for (let i = 0; i < w.agents.length; i++) await crash(w, i);
          await w.db.dispose();
        }
      }),
      {
        numRuns: 25,
        endOnFailure: true,
        // Counterexamples found, run first every time. Seed -430753054: an approval and the first
        // pause of a fresh database at once (no switch row yet, so neither locking read locked one).
        examples: [
          [
            [
              { op: 'both', first: { op: 'approve', agent: 0, proposal: 1, as: 'alice' }, second: { op: 'pause', agent: 1 } },
              { op: 'pause', agent: 0 },
              { op: 'approve', agent: 0, proposal: 0, as: 'bob' },
              { op: 'restart', agent: 1 },
              { op: 'resume', agent: 1 },
            ],
          ],
        ],
      },
    );
  });
});
