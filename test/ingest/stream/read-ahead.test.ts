import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { verifyAudit } from '../../../src/audit/verify.js';
import { queryRows } from '../../../src/db/client.js';
import { createStreamConsumer, type StreamConsumer, type StreamEntry } from '../../../src/ingest/redis-consumer.js';
import type { BatchProgress } from '../../../src/ingest/stream/types.js';
import { deferred } from '../../support/barrier.js';
import { createTestClock } from '../../support/clock.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { streamTest as test, type StreamFixtures } from '../../support/fixtures.js';
import { count, handlerFor, logger, pendingCount, providerEvent, waitFor } from './support.js';

/**
 * The next batch read and parsed while one commits, and started beside it once the handler has
 * fixed the first one's order (BatchProgress.ordered; ingest: its per-key locks held). Never more
 * than two batches taken and not acknowledged; a reread of our own entries, a failure or a stop
 * leaves what was read ahead to the pass over our own entries, never handled twice.
 */

type Redis = StreamFixtures['redis'];

/** One call of the handler, held open until the test releases it. */
interface Call {
  ids: string[];
  batch: BatchProgress;
  /** Handlers in flight when this one began (itself not counted). */
  besideAtStart: number;
  release: () => void;
  fail: (err: Error) => void;
  finished: boolean;
}

/** A handler that holds every call until the test releases it, and records what it was given. */
function heldHandler(onEntered?: (call: Call) => void) {
  const calls: Call[] = [];
  let active = 0;
  const handleBatch = async (entries: StreamEntry[], batch: BatchProgress) => {
    const gate = deferred<Error | undefined>();
    const call: Call = { ids: entries.map((e) => e.event.id), batch, besideAtStart: active, release: () => gate.resolve(undefined), fail: (err) => gate.resolve(err), finished: false };
    calls.push(call);
    active++;
    onEntered?.(call);
    try {
      const err = await gate.promise;
      if (err) throw err;
    } finally {
      active--;
      call.finished = true;
    }
  };
  return { calls, handleBatch };
}

async function fill(r: Redis, stream: string, provider: string, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, provider, { sample_errors: [`n${i}`] })) });
}

async function pendingOn(r: Redis, stream: string, group: string, consumer: string) {
  return r.xPendingRange(stream, group, '-', '+', 10_000, { consumer });
}

/** Samples the group's pending count every 10 ms until stopped; resolves with the most seen. */
function watchPending(r: Redis, stream: string, group: string): { stop: () => Promise<number> } {
  let most = 0;
  let on = true;
  const loop = (async () => {
    while (on) {
      most = Math.max(most, await pendingCount(r, stream, group));
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  return {
    async stop() {
      on = false;
      await loop;
      return most;
    },
  };
}

describe('reading ahead: the next batch beside the one committing', () => {
  test('is read while the first commits, starts once the first has fixed its order, and no third is taken meanwhile', async ({ redis: r, stream, group }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    await fill(r, stream, 'ra-order', 150);
    const { calls, handleBatch } = heldHandler();
    const consumer = createStreamConsumer({ redisUrl: TEST_REDIS_URL, stream, group, consumer: 'ra-0', logger, batchSize: 50, handleBatch });
    const watch = watchPending(r, stream, group);
    await consumer.start();
    try {
      await waitFor('the first batch in its handler', () => calls.length === 1);
      await waitFor('the second batch read ahead', async () => (await pendingCount(r, stream, group)) === 100);
      // Read and held, not started: the first has not said its order is fixed.
      expect(calls).toHaveLength(1);

      calls[0]!.batch.ordered();
      await waitFor('the second batch started beside the first', () => calls.length === 2);
      expect(calls[1]!.besideAtStart).toBe(1);
      expect(calls[0]!.finished).toBe(false);
      // Two taken while the first is unfinished; the third waits in the stream.
      expect(await pendingCount(r, stream, group)).toBe(100);

      calls[0]!.release();
      await waitFor('the third batch read ahead once the first is acknowledged', async () => consumer.status().acked === 50 && (await pendingCount(r, stream, group)) === 100);
      expect(calls).toHaveLength(2);
      // The second never says its order is fixed: the third starts only after it has finished.
      calls[1]!.release();
      await waitFor('the third batch in its handler', () => calls.length === 3);
      expect(calls[2]!.besideAtStart).toBe(0);
      calls[2]!.release();
      await waitFor('everything acknowledged', async () => consumer.status().acked === 150 && (await pendingCount(r, stream, group)) === 0);
    } finally {
      await consumer.stop();
    }
    expect(await watch.stop()).toBeLessThanOrEqual(100);
    expect(calls.map((c) => c.ids.length)).toEqual([50, 50, 50]);
    expect(new Set(calls.flatMap((c) => c.ids)).size).toBe(150);
  });

  test('through ingest, batches overlapping in PostgreSQL keep their order: counters exact, first and latest the stream\'s own, the chain intact', async ({ db, redis: r, stream, group }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    const providers = ['ra-p0', 'ra-p1', 'ra-p2', 'ra-p3'];
    // Interleaved, in occurred_at order: event i of provider p at i ms.
    for (let i = 0; i < 500; i++) for (const p of providers) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, p, { sample_errors: [`n${i}`] })) });
    const ingest = handlerFor(db.db);
    let active = 0;
    let mostBeside = 0;
    const consumer = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group,
      consumer: 'ra-ingest',
      logger,
      batchSize: 100,
      handleBatch: async (entries, batch) => {
        active++;
        mostBeside = Math.max(mostBeside, active);
        try {
          await ingest(entries, batch);
        } finally {
          active--;
        }
      },
    });
    await consumer.start();
    try {
      await waitFor('all 2,000 acknowledged', async () => consumer.status().acked === 2_000 && (await pendingCount(r, stream, group)) === 0, 60_000);
    } finally {
      await consumer.stop();
    }
    // The batches did overlap: this is the order of overlapping batches being checked.
    expect(mostBeside).toBe(2);
    for (const p of providers) {
      const [row] = await queryRows<{ event_count: number; first: { sample_errors: string[] }; latest: { sample_errors: string[] } }>(db.db, sql`select event_count::int as event_count, first, latest from incidents where key = ${`provider:${p}`}`);
      expect(row).toMatchObject({ event_count: 500, first: { sample_errors: ['n0'] }, latest: { sample_errors: ['n499'] } });
    }
    expect(await count(db.db, sql`select count(*) as n from incidents`)).toBe(4);
    expect(await count(db.db, sql`select count(*) as n from events`)).toBe(2_000);
    expect(await count(db.db, sql`select coalesce(sum((payload->>'count')::int), 0) as n from sre_actions where kind = 'events.received'`)).toBe(2_000);
    expect(await verifyAudit(db.db)).toMatchObject({ ok: true });
    // Committed in the order read: each provider's receipts, in chain order, cover ascending events.
    const receipts = await queryRows<{ key: string; lo: number; hi: number }>(
      db.db,
      sql`select i.key, min(split_part(r.id, '_', 3)::int) as lo, max(split_part(r.id, '_', 3)::int) as hi
          from sre_actions a join incidents i on i.id = a.incident_id cross join jsonb_array_elements_text(a.payload->'event_ids') r(id)
          where a.kind = 'events.received' group by i.key, a.seq order by i.key, a.seq`,
    );
    for (const p of providers) {
      const mine = receipts.filter((x) => x.key === `provider:${p}`);
      expect(mine.length).toBeGreaterThan(1);
      for (let k = 1; k < mine.length; k++) expect(Number(mine[k]!.lo)).toBeGreaterThan(Number(mine[k - 1]!.hi));
    }
  });

  test('a reread of our own entries (a lapsed heartbeat) voids what was read ahead: a peer took it, and it is not handled here', async ({ redis: r, stream, group }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    await fill(r, stream, 'ra-lapse', 100);
    const { calls, handleBatch } = heldHandler((call) => {
      if (calls.length > 1) call.release();
    });
    const a: StreamConsumer = createStreamConsumer({ redisUrl: TEST_REDIS_URL, stream, group, consumer: 'replica-a', logger, batchSize: 50, handleBatch });
    await a.start();
    try {
      await waitFor('the first batch in its handler', () => calls.length === 1);
      await waitFor('the second batch read ahead', async () => (await pendingOn(r, stream, group, 'replica-a')).length === 100);
      const aheadIds = (await pendingOn(r, stream, group, 'replica-a')).map((p) => String(p.id)).slice(50);
      // A peer's takeover while A looked dead (its heartbeat gone): the batch read ahead is the peer's now.
      await r.xClaimJustId(stream, group, 'replica-b', 0, aheadIds);
      a.rereadOwn();
      calls[0]!.release();
      // A new entry after it: once A has handled that, it has decided about the batch read ahead.
      await fill(r, stream, 'ra-lapse', 1, 100);
      await waitFor('the new entry handled', () => calls.some((c) => c.ids.includes('evt_ra-lapse_100')));
    } finally {
      await a.stop();
    }
    const handledByA = calls.flatMap((c) => c.ids);
    expect(handledByA).toHaveLength(51);
    expect(handledByA.filter((id) => Number(id.split('_').pop()) >= 50 && Number(id.split('_').pop()) < 100)).toEqual([]);
    // Still the peer's, for it to handle.
    expect((await pendingOn(r, stream, group, 'replica-b')).length).toBe(50);
  });

  test('a batch failing while the next is in flight: the next settles first, then the failed one is read again; every event stored once, nothing dead-lettered', async ({ db, redis: r, stream, group }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    await fill(r, stream, 'ra-fail', 100);
    const ingest = handlerFor(db.db);
    const handled = new Map<string, number>();
    const secondStarted = deferred();
    let calls = 0;
    let inFlight = 0;
    let overlappedFailure = false;
    const consumer = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group,
      consumer: 'ra-fail-0',
      logger,
      batchSize: 50,
      maxDeliveries: 2,
      handleBatch: async (entries, batch) => {
        const call = ++calls;
        for (const e of entries) handled.set(e.event.id, (handled.get(e.event.id) ?? 0) + 1);
        inFlight++;
        try {
          if (call === 1) {
            // Its order fixed, then the database goes away under it while the second runs.
            batch.ordered();
            await secondStarted.promise;
            overlappedFailure = inFlight === 2;
            throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
          }
          if (call === 2) {
            secondStarted.resolve();
            // Slow work, longer than the loop's first backoff: a reread that did not wait for it would take it again.
            await new Promise((res) => setTimeout(res, 600));
          }
          await ingest(entries, batch);
        } finally {
          inFlight--;
        }
      },
    });
    await consumer.start();
    try {
      await waitFor('every event stored and acknowledged', async () => (await count(db.db, sql`select count(*) as n from events`)) === 100 && (await pendingCount(r, stream, group)) === 0);
    } finally {
      await consumer.stop();
    }
    expect(overlappedFailure).toBe(true);
    const first = [...handled].filter(([id]) => Number(id.split('_').pop()) < 50);
    const second = [...handled].filter(([id]) => Number(id.split('_').pop()) >= 50);
    // The failed batch twice (the failure, then its reread); the one beside it once, never reread while in flight.
    expect(first.every(([, n]) => n === 2)).toBe(true);
    expect(second.every(([, n]) => n === 1)).toBe(true);
    expect(consumer.status().deadLettered).toBe(0);
    expect(await count(db.db, sql`select event_count as n from incidents where key = 'provider:ra-fail'`)).toBe(100);
  });

  test('a batch failing with the next read ahead and not yet started: the next is left to the reread, and no hold of it outlives the consumer', async ({ redis: r, stream, group }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    await fill(r, stream, 'ra-fail-alone', 100);
    const clock = createTestClock({ realTime: true });
    const handled = new Map<string, number>();
    const callFirsts: string[] = [];
    let calls = 0;
    const consumer = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group,
      consumer: 'ra-fail-alone-0',
      logger,
      batchSize: 50,
      clock,
      handleBatch: async (entries) => {
        for (const e of entries) handled.set(e.event.id, (handled.get(e.event.id) ?? 0) + 1);
        callFirsts.push(entries[0]!.event.id);
        if (++calls > 1) return;
        // The next batch is read ahead while this one is in the handler; then the database goes away.
        await waitFor('the next batch read ahead', async () => (await pendingCount(r, stream, group)) === 100);
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
    });
    await consumer.start();
    try {
      await waitFor('everything acknowledged after the reread', async () => consumer.status().acked === 100 && (await pendingCount(r, stream, group)) === 0);
    } finally {
      await consumer.stop();
    }
    expect(clock.waiting()).toBe(0);
    // Nothing started beside the failed batch: the reread came next, from the oldest entry on.
    expect(callFirsts.slice(0, 2)).toEqual(['evt_ra-fail-alone_0', 'evt_ra-fail-alone_0']);
    const first = [...handled].filter(([id]) => Number(id.split('_').pop()) < 50);
    const second = [...handled].filter(([id]) => Number(id.split('_').pop()) >= 50);
    expect(first.every(([, n]) => n === 2)).toBe(true);
    // Read ahead once, then handled once, by the reread.
    expect(second.every(([, n]) => n === 1)).toBe(true);
    expect(consumer.status().deadLettered).toBe(0);
  });

  test('stopping with a batch read ahead leaves it pending and no longer held, and the next start handles it once', async ({ redis: r, stream, group }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    await fill(r, stream, 'ra-stop', 100);
    const claimIdleMs = 300;
    const first = heldHandler();
    const clock = createTestClock({ realTime: true });
    const c1 = createStreamConsumer({ redisUrl: TEST_REDIS_URL, stream, group, consumer: 'ra-stop-0', logger, batchSize: 50, claimIdleMs, clock, handleBatch: first.handleBatch });
    await c1.start();
    await waitFor('the first batch in its handler', () => first.calls.length === 1);
    await waitFor('the second batch read ahead', async () => (await pendingCount(r, stream, group)) === 100);
    const stopped = c1.stop();
    first.calls[0]!.release();
    await stopped;
    // No hold, pause or deadline of the stopped consumer still waits on its clock.
    expect(clock.waiting()).toBe(0);
    expect(first.calls).toHaveLength(1);
    expect(await pendingCount(r, stream, group)).toBe(50);
    // No hold touches it any more: its idle time grows past the claim idle (a hold resets it every 100 ms).
    await waitFor('the batch read ahead idle past the claim idle', async () => (await pendingOn(r, stream, group, 'ra-stop-0')).every((p) => p.millisecondsSinceLastDelivery > 2 * claimIdleMs));

    const second = heldHandler((call) => call.release());
    const c2 = createStreamConsumer({ redisUrl: TEST_REDIS_URL, stream, group, consumer: 'ra-stop-0', logger, batchSize: 50, claimIdleMs, handleBatch: second.handleBatch });
    await c2.start();
    try {
      await waitFor('the batch read ahead handled after the restart', async () => (await pendingCount(r, stream, group)) === 0);
    } finally {
      await c2.stop();
    }
    const ids = [...first.calls, ...second.calls].flatMap((c) => c.ids);
    expect(ids).toHaveLength(100);
    expect(new Set(ids).size).toBe(100);
  });
});
