import { and, eq, sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { queryRows, schema } from '../../src/db/client.js';
import { createJobRunner } from '../../src/jobs/index.js';
import { createHeartbeat, postgresHeartbeats } from '../../src/jobs/heartbeat.js';
import { createTakeover, releaseLeasesOf } from '../../src/jobs/takeover.js';
import type { ChannelAdapter } from '../../src/notify/adapter.js';
import { createDispatcher } from '../../src/notify/dispatcher.js';
import { createMetrics } from '../../src/metrics.js';
import { makeDeps, seedPending, silent } from '../notify/fixtures.js';
import { INGEST_TOKEN, get, post, unhealthy } from '../support/agent.js';
import { deferred } from '../support/barrier.js';
import { WORKDAY_START, createTestClock, workdayClock } from '../support/clock.js';
import { eventually } from '../support/eventually.js';
import { agentTest as test } from '../support/fixtures.js';
import { catalogWithRestore } from '../support/jobs.js';
import { sample } from '../ship/support.js';

/**
 * Without Redis the heartbeat is a row in PostgreSQL whose TTL the database's now() judges: the
 * agents here run on a workday clock of November 2026, far from the database's, and still agree
 * with it on who is alive.
 */

const proposalsMade = async (db: Parameters<typeof queryRows>[0]) => (await queryRows<{ n: number }>(db, sql`select count(*)::int as n from proposals`))[0]!.n;

describe('a replica whose PostgreSQL heartbeat is gone', () => {
  test('has its leased timers taken over at once, not when their lease ends', async ({ db, startAgent }) => {
    const writer = await startAgent({ SRE_CONSUMER_NAME: 'writer' });
    expect((await post(writer.base, '/v1/events', [unhealthy('openai')], INGEST_TOKEN)).status).toBe(202);
    await writer.stop();
    // sre-dead beat once (TTL 1 s), leased the propose timer for an hour, and died.
    await postgresHeartbeats(db.db).beat('sre-dead', 1_000);
    await db.db.update(schema.timers).set({ leasedBy: 'sre-dead', leaseExpiresAt: sql`now() + interval '1 hour'`, attempts: 1 }).where(eq(schema.timers.kind, 'propose'));

    const peer = await startAgent({ SRE_CONSUMER_NAME: 'sre-b', SRE_HEARTBEAT_TTL: '1s' });
    await eventually(async () => (await peer.agent.tick(), (await proposalsMade(db.db)) > 0), { what: "the peer taking the dead replica's propose timer over", timeoutMs: 20_000, everyMs: 100 });
    await peer.agent.tick();
    expect(await proposalsMade(db.db)).toBe(1);
    expect(await db.db.select().from(schema.sreActions).where(and(eq(schema.sreActions.kind, 'proposal.created')))).toHaveLength(1);
    expect((await db.db.select().from(schema.replicaHeartbeats)).map((r) => r.name)).toEqual(['sre-b']);
    const metrics = (await get(peer.base, '/metrics')).body as string;
    expect(sample(metrics, 'sre_takeovers_total', { cause: 'heartbeat' })).toBe(1);
    expect(sample(metrics, 'sre_lease_expiries_total', { work: 'timer' }) ?? 0).toBe(0);
  });

  test('paused mid-job past the TTL: the peer runs it and records it; the resumed replica drops it', async ({ db }) => {
    const frozen = createTestClock();
    const pausedDeps = makeDeps(db.db, { clock: frozen });
    const peerDeps = makeDeps(db.db, { clock: workdayClock(), metrics: createMetrics({ defaultMetrics: false }) });
    const entered = deferred();
    const resume = deferred();
    let runs = 0;
    const catalog = catalogWithRestore(async () => {
      runs++;
      if (runs > 1) return;
      entered.resolve();
      await resume.promise;
    });
    // Leases of an hour: only the heartbeat can move the job.
    const a = createJobRunner(pausedDeps, catalog, { holder: 'replica-a', leaseMs: 3_600_000 });
    const b = createJobRunner(peerDeps, catalog, { holder: 'replica-b', leaseMs: 3_600_000 });
    const hbA = createHeartbeat({ name: 'replica-a', ttlMs: 1_000, clock: frozen, logger: silent, primary: postgresHeartbeats(db.db) });
    const hbB = createHeartbeat({ name: 'replica-b', ttlMs: 1_000, clock: peerDeps.clock, logger: silent, primary: postgresHeartbeats(db.db) });
    let lapses = 0;
    hbA.onLapse(() => {
      lapses++;
      void a.queue.keeper.renew();
    });
    await hbA.start();
    await hbB.start();
    const takeover = createTakeover({ heartbeat: hbB, db: db.db, clock: peerDeps.clock, logger: silent, metrics: peerDeps.metrics! });
    try {
      await db.db.insert(schema.timers).values({ kind: 'restore', key: 'paused:1', runAt: new Date(pausedDeps.clock.nowMs() - 1), payload: { proposal_id: 'prp_x', execution_id: 'exe_x' } });
      const [row] = await a.claim(['restore'], 5);
      const running = a.run(row!);
      await entered.promise;
      // replica-a is frozen: its heartbeat runs out on the database's clock, and the peer sees it.
      await eventually(async () => (await takeover.pass()).includes('replica-a'), { what: 'the peer finding replica-a gone', timeoutMs: 20_000, everyMs: 100 });
      const [taken] = await b.claim(['restore'], 5);
      expect(taken).toMatchObject({ key: 'paused:1', leasedBy: 'replica-b' });
      expect(await b.run(taken!)).toBe(true);

      // SIGCONT: the heartbeat finds itself lapsed, the lease check finds the job gone, the handler returns.
      // Its next timer comes due (the heartbeat's, a third of the TTL on): time in the paused process moves only that far.
      await frozen.advance(1_000 / 3 + 1);
      await eventually(() => lapses > 0, { what: 'replica-a to find its heartbeat lapsed' });
      await eventually(async () => (await a.queue.keeper.renew(), true), { what: 'a lease check after the resume' });
      resume.resolve();
      expect(await running).toBe(false);
      const [after] = await db.db.select().from(schema.timers).where(eq(schema.timers.key, 'paused:1'));
      expect(after).toMatchObject({ status: 'done', leasedBy: null });
      expect(await peerDeps.metrics!.registry.getSingleMetricAsString('sre_takeovers_total')).toMatch(/cause="heartbeat"} 1/);
    } finally {
      resume.resolve();
      await takeover.stop();
      await hbA.stop();
      await hbB.stop();
      a.stop();
      b.stop();
    }
  });
});

describe('the outbox of a replica paused past its heartbeat', () => {
  test('a notification that waited behind the paused delivery is sent by the peer only', async ({ db }) => {
    const s = await seedPending(db.db);
    const sent: { by: string; id: number }[] = [];
    const inFlight = deferred();
    const resume = deferred();
    const adapter = (by: string, hold: boolean): ChannelAdapter => ({
      channel: 'webhook',
      // One pace key: a replica delivers its claimed rows one after another.
      paceKey: () => 'one',
      async deliver(row) {
        if (hold && sent.length === 0 && by === 'replica-a') {
          inFlight.resolve();
          await resume.promise;
        }
        sent.push({ by, id: row.id });
        return { status: 'sent' };
      },
    });
    const rows = await db.db
      .insert(schema.outbox)
      .values([1, 2].map((n) => ({ channel: 'webhook', kind: 'proposal.created', incidentId: s.incidentId, proposalId: s.proposalId, orderingKey: `k${n}`, payload: {}, nextAttemptAt: new Date(WORKDAY_START - 1_000) })))
      .returning({ id: schema.outbox.id });
    const lease = 3_600_000;
    const a = createDispatcher({ db: db.db, adapters: [adapter('replica-a', true)], logger: silent, clock: workdayClock(), holder: 'replica-a', leaseMs: lease });
    const b = createDispatcher({ db: db.db, adapters: [adapter('replica-b', false)], logger: silent, clock: workdayClock(), holder: 'replica-b', leaseMs: lease });
    const passA = a.runOnce();
    await inFlight.promise;
    // replica-a froze mid-delivery holding both rows; its heartbeat ran out and a peer released its leases.
    expect(await releaseLeasesOf(db.db, 'replica-a')).toEqual({ timer: 0, outbox: 2 });
    await b.runOnce();
    await b.runOnce();
    // SIGCONT: its lease check finds both rows gone; the one in flight finishes, the one waiting is dropped.
    expect((await a.renew()).sort()).toEqual(rows.map((r) => r.id).sort());
    resume.resolve();
    await passA;
    const second = rows[1]!.id;
    expect(sent.filter((x) => x.id === second)).toEqual([{ by: 'replica-b', id: second }]);
    const done = await db.db.select({ status: schema.outbox.status }).from(schema.outbox);
    expect(done.map((d) => d.status)).toEqual(['sent', 'sent']);
  });
});
