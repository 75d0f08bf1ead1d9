import { and, eq, sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { describe, expect } from 'vitest';
import { queryRows, schema } from '../../src/db/client.js';
import { createJobRunner, releaseOwnLeases } from '../../src/jobs/index.js';
import { createMetrics } from '../../src/metrics.js';
import { createDispatcher } from '../../src/notify/dispatcher.js';
import { createWebhookAdapter } from '../../src/notify/webhook.js';
import { PUBLIC_BASE_URL, makeDeps, seedPending, silent } from '../notify/fixtures.js';
import { INGEST_TOKEN, get, post, unhealthy } from '../support/agent.js';
import { deferred } from '../support/barrier.js';
import type { TestDatabase } from '../support/db.js';
import { eventually } from '../support/eventually.js';
import { agentTest, type AgentFixtures } from '../support/fixtures.js';
import { catalogWithRestore } from '../support/jobs.js';

const HOOK = 'https://hooks.example.com/sre';
const test = agentTest;
type AgentContext = AgentFixtures & { db: TestDatabase };

describe('owned leases on timers', () => {
  test('never runs a handler twice while it outlives its lease: the holder renews it', async ({ db }) => {
    const metrics = createMetrics({ defaultMetrics: false });
    const deps = makeDeps(db.db, { metrics });
    const LEASE = 1_500;
    let runs = 0;
    let inHandler = false;
    const started = deferred();
    const release = deferred();
    // A restore whose handler outlives its lease: it runs until the test lets it go.
    const catalog = catalogWithRestore(async () => {
      runs++;
      inHandler = true;
      started.resolve();
      await release.promise;
      inHandler = false;
    });
    const a = createJobRunner(deps, catalog, { holder: 'replica-a', leaseMs: LEASE });
    const b = createJobRunner(deps, catalog, { holder: 'replica-b', leaseMs: LEASE });
    await db.db.insert(schema.timers).values({ kind: 'restore', key: 'slow:1', runAt: new Date(deps.clock.now().getTime() - 1), payload: { proposal_id: 'prp_x', execution_id: 'exe_x' } });
    const [t] = await a.claim(['restore'], 5);
    expect(t).toMatchObject({ leasedBy: 'replica-a' });
    const running = a.run(t!);
    // The race: the other replica looks for due work while the handler runs, past the end of the
    // lease it was first given (leases end by the database's clock, on wall time), and finds none.
    await started.promise;
    const leaseEnds = Date.now() + 2 * LEASE;
    let stolen = 0;
    let lookedAfterLease = 0;
    await eventually(
      async () => {
        const got = await b.claim(['restore'], 5);
        stolen += got.length;
        await Promise.all(got.map((x) => b.run(x)));
        // Counted only while the handler still runs: the contended point, past the first lease.
        if (inHandler && Date.now() > leaseEnds) lookedAfterLease++;
        return stolen > 0 || lookedAfterLease >= 3;
      },
      { what: 'the other replica looking for work past the first lease', timeoutMs: 20_000 },
    );
    expect(runs).toBe(1);
    release.resolve();
    expect(await running).toBe(true);
    expect(stolen).toBe(0);
    expect(runs).toBe(1);
    const [row] = await db.db.select().from(schema.timers).where(eq(schema.timers.key, 'slow:1'));
    expect(row).toMatchObject({ status: 'done', attempts: 1, leasedBy: null, leaseExpiresAt: null });
    expect(await metrics.registry.getSingleMetricAsString('sre_lease_renewals_total')).toMatch(/work="timer"} [1-9]/);
  });
});

describe('a replica that dies holding work', () => {
  /**
   * An incident whose propose timer a crashed replica held (its lease still running). The replicas
   * share the test's one clock (the fixture's), as real ones share wall time: were each on its own
   * pinned clock started at 10:00, a later agent's would lag the writer's, and the propose timer
   * (due at the writer's "now") would not yet be due for it.
   */
  async function heldBy({ db, startAgent }: Pick<AgentContext, 'db' | 'startAgent'>, holder: string, leaseLeftMs: number) {
    const writer = await startAgent({ SRE_CONSUMER_NAME: 'writer' });
    const r = await post(writer.base, '/v1/events', [unhealthy('openai')], INGEST_TOKEN);
    expect(r.status).toBe(202);
    // Leases end by the database's clock, which runs on wall time.
    const until = new Date(Date.now() + leaseLeftMs);
    await db.db.update(schema.timers).set({ leasedBy: holder, leaseExpiresAt: until, attempts: 1 }).where(eq(schema.timers.kind, 'propose'));
    await writer.stop();
  }

  const proposalsMade = async (db: TestDatabase) => (await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from proposals`))[0]!.n;

  test('restarted under the same name, takes its own leased work back at once', async ({ db, startAgent }) => {
    await heldBy({ db, startAgent }, 'sre-a', 15_000);
    const restarted = await startAgent({ SRE_CONSUMER_NAME: 'sre-a' });
    await restarted.agent.tick();
    expect(await proposalsMade(db)).toBe(1);
    const [t] = await db.db.select().from(schema.timers).where(eq(schema.timers.kind, 'propose'));
    expect(t).toMatchObject({ status: 'done', leasedBy: null });
  });

  test("a peer takes a dead replica's timers over within one lease, once", async ({ db, startAgent }) => {
    const LEASE_LEFT = 1_500;
    await heldBy({ db, startAgent }, 'sre-dead', LEASE_LEFT);
    const peer = await startAgent({ SRE_CONSUMER_NAME: 'sre-b' });
    await peer.agent.tick();
    // Not before the dead holder's lease runs out: it might still be alive and working.
    expect(await proposalsMade(db)).toBe(0);
    await eventually(async () => (await peer.agent.tick(), (await proposalsMade(db)) > 0), { what: "the peer taking the dead replica's propose timer over", timeoutMs: LEASE_LEFT * 6, everyMs: 50 });
    await peer.agent.tick();
    expect(await proposalsMade(db)).toBe(1);
    const created = await db.db.select().from(schema.sreActions).where(and(eq(schema.sreActions.kind, 'proposal.created')));
    expect(created).toHaveLength(1);
    const metrics = (await get(peer.base, '/metrics')).body as string;
    expect(metrics).toMatch(/^sre_lease_expiries_total\{work="timer"\} 1$/m);
  });

  test('the outbox: a row held by a live lease waits; its restarted holder takes it back at once and delivers it once', async ({ db, msw }) => {
    const s = await seedPending(db.db);
    const lease = new Date(Date.now() + 3_600_000);
    await db.db.insert(schema.outbox).values({ channel: 'webhook', kind: 'proposal.created', incidentId: s.incidentId, proposalId: s.proposalId, payload: {}, leasedBy: 'sre-a', leaseExpiresAt: lease, attempts: 1 });
    const hits: string[] = [];
    msw.use(
      http.post(HOOK, ({ request }) => {
        hits.push(request.headers.get('idempotency-key') ?? '');
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const dispatcher = (holder: string) =>
      createDispatcher({ db: db.db, holder, adapters: [createWebhookAdapter({ db: db.db, urls: [HOOK], secret: 'whsec-0123456789abcdef', publicBaseUrl: PUBLIC_BASE_URL, logger: silent })], logger: silent });
    expect(await dispatcher('sre-b').runOnce()).toBe(0);
    expect(await releaseOwnLeases(db.db, 'sre-b')).toEqual({ timer: 0, outbox: 0 });
    expect(await releaseOwnLeases(db.db, 'sre-a')).toEqual({ timer: 0, outbox: 1 });
    expect(await dispatcher('sre-a').runOnce()).toBe(1);
    expect(hits).toHaveLength(1);
    const [row] = await db.db.select().from(schema.outbox).where(eq(schema.outbox.proposalId, s.proposalId));
    expect(row).toMatchObject({ status: 'sent', leasedBy: null, leaseExpiresAt: null });
  });
});
