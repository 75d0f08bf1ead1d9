import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { systemClock, type Clock } from '../../../src/clock.js';
import { createStreamConsumer, type StreamConsumer, type StreamEntry } from '../../../src/ingest/redis-consumer.js';
import { entriesOfRead } from '../../../src/ingest/stream/redis-reply.js';
import { createHeartbeat, redisHeartbeats, type Heartbeat, type HeartbeatStore } from '../../../src/jobs/heartbeat.js';
import { get } from '../../support/http.js';
import { deferred } from '../../support/barrier.js';
import { createTestClock } from '../../support/clock.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { eventually } from '../../support/eventually.js';
import { streamTest as test, type StreamFixtures } from '../../support/fixtures.js';
import { sample } from '../../ship/support.js';
import { count, handlerFor, logger, providerEvent } from './support.js';

/**
 * Liveness, not idle time (issue 23 item 1): the survivor is an agent as main.ts wires it with
 * SRE_HEARTBEAT_TTL=1s and SRE_STREAM_CLAIM_IDLE=1h, so only the heartbeat path can take anything
 * within the test; the other replica is built from the same parts (its heartbeat on real Redis TTLs).
 */

const TTL_MS = 1_000;
const SURVIVOR = { SRE_CONSUMER_NAME: 'replica-b', SRE_HEARTBEAT_TTL: '1s', SRE_STREAM_CLAIM_IDLE: '1h' };
type Redis = StreamFixtures['redis'];

async function pendingOn(r: Redis, stream: string, group: string, consumer: string): Promise<number> {
  return (await r.xPendingRange(stream, group, '-', '+', 10_000, { consumer })).length;
}

async function consumerNames(r: Redis, stream: string, group: string): Promise<string[]> {
  const rows = (await r.xInfoConsumers(stream, group)) as unknown as { name: string }[];
  return rows.map((c) => String(c.name));
}

/** A Redis heartbeat store that counts the beats written through it. */
function countingStore(stream: string, group: string): { store: HeartbeatStore; beats: () => number } {
  const store = redisHeartbeats({ redisUrl: TEST_REDIS_URL, stream, group });
  let beats = 0;
  return {
    store: { ...store, kind: store.kind, beat: async (n, ttl) => {
      const had = await store.beat(n, ttl);
      beats++;
      return had;
    } },
    beats: () => beats,
  };
}

async function fill(r: Redis, stream: string, provider: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, provider)) });
}

describe('a replica whose heartbeat is gone', () => {
  test('has its pending entries claimed after the heartbeat TTL (not the claim idle) and leaves the group', async ({ db, redis: r, stream, group, startAgent }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    await fill(r, stream, 'hb-dead', 40);
    // replica-a beat once, read the entries, and died (SIGKILL: no clean-up, no XACK).
    const dead = redisHeartbeats({ redisUrl: TEST_REDIS_URL, stream, group });
    await dead.beat('replica-a', TTL_MS);
    await dead.close();
    expect(entriesOfRead(await r.xReadGroup(group, 'replica-a', { key: stream, id: '>' }, { COUNT: 40 }))).toHaveLength(40);

    const b = await startAgent(SURVIVOR);
    await eventually(async () => (await count(db.db, sql`select count(*) as n from events where data->>'provider' = 'hb-dead'`)) === 40 && (await r.xPendingRange(stream, group, '-', '+', 100)).length === 0, {
      what: "the dead replica's entries stored and acknowledged by the survivor",
      timeoutMs: 20_000,
    });
    expect(await count(db.db, sql`select event_count as n from incidents where key = 'provider:hb-dead'`)).toBe(40);
    expect(await consumerNames(r, stream, group)).not.toContain('replica-a');
    const scrape = (await get(b.base, '/metrics')).body as string;
    expect(sample(scrape, 'sre_takeovers_total', { cause: 'heartbeat' })).toBe(1);
    expect(sample(scrape, 'sre_takeovers_total', { cause: 'stream_idle' }) ?? 0).toBe(0);
    expect(sample(scrape, 'sre_replicas_alive')).toBe(1);
  });

  test('is never robbed while it lives: a handler far slower than the TTL keeps its batch', async ({ db, redis: r, stream, group, startAgent }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    await fill(r, stream, 'hb-slow', 30);
    const counting = countingStore(stream, group);
    const hb = createHeartbeat({ name: 'replica-a', ttlMs: TTL_MS, clock: systemClock, logger, primary: counting.store });
    await hb.start();
    const entered = deferred();
    const release = deferred();
    const store = handlerFor(db.db);
    const a = createStreamConsumer({ redisUrl: TEST_REDIS_URL, stream, group, consumer: 'replica-a', logger, batchSize: 100, blockMs: 100, handleBatch: async (entries) => {
      entered.resolve();
      await release.promise;
      await store(entries);
    } });
    await a.start();
    try {
      await entered.promise;
      const b = await startAgent(SURVIVOR);
      // Six beats after the survivor started: two TTLs and more with the handler still running.
      const from = counting.beats();
      await eventually(() => counting.beats() >= from + 6, { what: 'six more heartbeats of the slow replica', timeoutMs: 20_000 });
      const scrape = (await get(b.base, '/metrics')).body as string;
      expect(sample(scrape, 'sre_replicas_alive')).toBe(2);
      expect(sample(scrape, 'sre_takeovers_total', { cause: 'heartbeat' }) ?? 0).toBe(0);
      expect(await pendingOn(r, stream, group, 'replica-a')).toBe(30);
      release.resolve();
      await eventually(async () => (await r.xPendingRange(stream, group, '-', '+', 100)).length === 0, { what: 'the slow batch acknowledged by its own replica', timeoutMs: 20_000 });
      expect(await count(db.db, sql`select event_count as n from incidents where key = 'provider:hb-slow'`)).toBe(30);
    } finally {
      release.resolve();
      await a.stop();
      await hb.stop();
    }
  });

  test('paused past the TTL (SIGSTOP) and resumed: its batch was taken over, it writes nothing twice and carries on', async ({ db, redis: r, stream, group, startAgent }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    await fill(r, stream, 'hb-paused', 25);
    // The paused process's clock: nothing of it runs (heartbeat, holds, deadlines) until advanced.
    const frozen = createTestClock();
    const paused = pausedReplica(db.db, stream, group, frozen);
    await paused.start();
    try {
      await paused.entered;
      await startAgent(SURVIVOR);
      await eventually(async () => (await count(db.db, sql`select count(*) as n from events where data->>'provider' = 'hb-paused'`)) === 25 && (await pendingOn(r, stream, group, 'replica-a')) === 0, {
        what: "the paused replica's batch stored by the survivor",
        timeoutMs: 20_000,
      });
      expect(await consumerNames(r, stream, group)).not.toContain('replica-a');

      // SIGCONT: its timers run late, its heartbeat finds itself lapsed, its handler returns.
      // Time in the paused process moves only to its next timer (the heartbeat's, a third of the TTL on).
      await frozen.advance(TTL_MS / 3 + 1);
      await eventually(() => paused.lapses() > 0, { what: 'the resumed replica to find its heartbeat lapsed' });
      expect(paused.lapses()).toBe(1);
      paused.release();
      await eventually(() => paused.handled() === 1, { what: 'the resumed handler to return' });
      expect(await count(db.db, sql`select count(*) as n from events where data->>'provider' = 'hb-paused'`)).toBe(25);
      expect(await count(db.db, sql`select count(*) as n from incidents where key = 'provider:hb-paused'`)).toBe(1);
      expect(await count(db.db, sql`select event_count as n from incidents where key = 'provider:hb-paused'`)).toBe(25);
      expect(await count(db.db, sql`select count(*) as n from sre_actions where kind = 'incident.opened'`)).toBe(1);
      expect(await count(db.db, sql`select coalesce(sum((payload->>'count')::int), 0) as n from sre_actions where kind = 'events.received'`)).toBe(25);

      // And it carries on: new entries are stored once, by whichever replica reads them.
      for (let i = 25; i < 35; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'hb-paused')) });
      await eventually(async () => (await count(db.db, sql`select count(*) as n from events where data->>'provider' = 'hb-paused'`)) === 35 && (await r.xPendingRange(stream, group, '-', '+', 100)).length === 0, {
        what: 'entries after the resume stored and acknowledged',
        timeoutMs: 20_000,
      });
      expect(paused.consumer.status().running).toBe(true);
      expect(await count(db.db, sql`select event_count as n from incidents where key = 'provider:hb-paused'`)).toBe(35);
    } finally {
      paused.release();
      await paused.stop();
    }
  });
});

/** replica-a on a clock of its own: its first batch's handler waits until released; its heartbeat's lapses are counted. */
function pausedReplica(db: Parameters<typeof handlerFor>[0], stream: string, group: string, clock: Clock) {
  const entered = deferred();
  const gate = deferred();
  const store = handlerFor(db);
  let first = true;
  let handled = 0;
  let lapses = 0;
  const hb: Heartbeat = createHeartbeat({ name: 'replica-a', ttlMs: TTL_MS, clock, logger, primary: redisHeartbeats({ redisUrl: TEST_REDIS_URL, stream, group }) });
  const consumer: StreamConsumer = createStreamConsumer({ redisUrl: TEST_REDIS_URL, stream, group, consumer: 'replica-a', logger, clock, batchSize: 100, blockMs: 100, handleBatch: async (entries: StreamEntry[]) => {
    if (first) {
      first = false;
      entered.resolve();
      await gate.promise;
      await store(entries);
      handled++;
      return;
    }
    await store(entries);
  } });
  hb.onLapse(() => {
    lapses++;
    consumer.rereadOwn();
  });
  return {
    consumer,
    entered: entered.promise,
    release: () => gate.resolve(),
    handled: () => handled,
    lapses: () => lapses,
    async start() {
      await hb.start();
      await consumer.start();
    },
    async stop() {
      await consumer.stop();
      await hb.stop();
    },
  };
}
