import { and, eq, sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryRows, schema } from '../../src/db/client.js';
import { createCatalog, createJobRunner, releaseOwnLeases } from '../../src/jobs/index.js';
import { createMetrics } from '../../src/metrics.js';
import { createDispatcher } from '../../src/notify/dispatcher.js';
import { createWebhookAdapter } from '../../src/notify/webhook.js';
import { proposalJobs } from '../../src/proposals/index.js';
import { PUBLIC_BASE_URL, makeDeps, seedPending, silent } from '../notify/fixtures.js';
import { INGEST_TOKEN, get, post, startAgent, unhealthy } from '../support/agent.js';
import { workdayClock } from '../support/clock.js';
import type { Clock } from '../../src/clock.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { useMsw } from '../support/msw.js';

const msw = useMsw();
const HOOK = 'https://hooks.example.com/sre';

let db: TestDatabase;
beforeEach(async () => {
  db = await freshPostgres();
});
afterEach(async () => db.dispose());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('owned leases on timers', () => {
  it('never runs a handler twice while it outlives its lease: the holder renews it', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const deps = makeDeps(db.db, { metrics });
    const LEASE = 1_500;
    let runs = 0;
    // A restore whose handler outlives its lease four times over.
    const catalog = createCatalog({
      ...proposalJobs({ reconcileStaleMs: 0 }),
      close_quiet: async () => undefined,
      retention: async () => undefined,
      silence_end: async () => undefined,
      audit_checkpoint: async () => undefined,
      restore: async () => {
        runs++;
        await sleep(4 * LEASE);
      },
    });
    const a = createJobRunner(deps, catalog, { holder: 'replica-a', leaseMs: LEASE });
    const b = createJobRunner(deps, catalog, { holder: 'replica-b', leaseMs: LEASE });
    await db.db.insert(schema.timers).values({ kind: 'restore', key: 'slow:1', runAt: new Date(deps.clock.now().getTime() - 1), payload: { proposal_id: 'prp_x', execution_id: 'exe_x' } });
    const [t] = await a.claim(['restore'], 5);
    expect(t).toMatchObject({ leasedBy: 'replica-a' });
    const running = a.run(t!);
    // The other replica keeps looking for due work all along, and finds none.
    let stolen = 0;
    while (runs === 1 && stolen === 0) {
      const got = await b.claim(['restore'], 5);
      stolen += got.length;
      await Promise.all(got.map((x) => b.run(x)));
      const [row] = await db.db.select().from(schema.timers).where(eq(schema.timers.key, 'slow:1'));
      if (row!.status === 'done') break;
      await sleep(25);
    }
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
   * share one clock, as real ones share wall time: each startAgent's own pinned clock starts at
   * 10:00 when it starts, so a later agent's clock would lag the writer's, and the propose timer
   * (due at the writer's "now") would not yet be due for it.
   */
  async function heldBy(holder: string, leaseLeftMs: number, env: Record<string, string>, now: Clock) {
    const writer = await startAgent(db, { SRE_CONSUMER_NAME: 'writer', ...env }, { clock: now });
    const r = await post(writer.base, '/v1/events', [unhealthy('openai')], INGEST_TOKEN);
    expect(r.status).toBe(202);
    // Leases end by the database's clock, which runs on wall time.
    const until = new Date(Date.now() + leaseLeftMs);
    await db.db.update(schema.timers).set({ leasedBy: holder, leaseExpiresAt: until, attempts: 1 }).where(eq(schema.timers.kind, 'propose'));
    await writer.stop();
  }

  const proposalsMade = async () => (await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from proposals`))[0]!.n;

  it('restarted under the same name, takes its own leased work back at once', async () => {
    const now = workdayClock();
    await heldBy('sre-a', 15_000, {}, now);
    const restarted = await startAgent(db, { SRE_CONSUMER_NAME: 'sre-a' }, { clock: now });
    try {
      await restarted.agent.tick();
      expect(await proposalsMade()).toBe(1);
      const [t] = await db.db.select().from(schema.timers).where(eq(schema.timers.kind, 'propose'));
      expect(t).toMatchObject({ status: 'done', leasedBy: null });
    } finally {
      await restarted.stop();
    }
  });

  it("a peer takes a dead replica's timers over within one lease, once", async () => {
    const LEASE_LEFT = 1_500;
    const now = workdayClock();
    await heldBy('sre-dead', LEASE_LEFT, {}, now);
    const peer = await startAgent(db, { SRE_CONSUMER_NAME: 'sre-b' }, { clock: now });
    try {
      const t0 = Date.now();
      await peer.agent.tick();
      // Not before the dead holder's lease runs out: it might still be alive and working.
      expect(await proposalsMade()).toBe(0);
      while ((await proposalsMade()) === 0) {
        expect(Date.now() - t0).toBeLessThan(LEASE_LEFT * 6);
        await sleep(100);
        await peer.agent.tick();
      }
      await peer.agent.tick();
      expect(await proposalsMade()).toBe(1);
      const created = await db.db.select().from(schema.sreActions).where(and(eq(schema.sreActions.kind, 'proposal.created')));
      expect(created).toHaveLength(1);
      const metrics = (await get(peer.base, '/metrics')).body as string;
      expect(metrics).toMatch(/^sre_lease_expiries_total\{work="timer"\} 1$/m);
    } finally {
      await peer.stop();
    }
  });

  it('the outbox: a row held by a live lease waits; its restarted holder takes it back at once and delivers it once', async () => {
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
