import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { createStreamConsumer, type StreamEntry } from '../../../src/ingest/redis-consumer.js';
import type { TestDatabase } from '../../support/db.js';
import { streamTest as test, type StreamFixtures } from '../../support/fixtures.js';

type StreamContext = StreamFixtures & { db: TestDatabase };
import { TEST_REDIS_URL } from '../../support/env.js';
import { count, handlerFor, logger, pendingCount, providerEvent, waitFor } from './support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLAIM_IDLE_MS = 1_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `consumer`'s entries have had their idle time reset `times` times (a living holder's touches), sampling XPENDING. */
async function heldAcrossClaimIdle(r: StreamContext['redis'], stream: string, group: string, consumer: string, times: number): Promise<void> {
  let resets = 0;
  let last = -1;
  await waitFor(`${consumer} to hold its batch ${times} times`, async () => {
    const rows = await r.xPendingRange(stream, group, '-', '+', 100_000, { consumer });
    const idle = Math.max(...rows.map((x) => x.millisecondsSinceLastDelivery));
    if (last >= 0 && idle < last) resets++;
    last = idle;
    return resets >= times;
  });
}

async function ownedBy(r: StreamContext['redis'], stream: string, group: string, consumer: string): Promise<number> {
  return (await r.xPendingRange(stream, group, '-', '+', 100_000, { consumer })).length;
}

describe('claiming on the stream: a dead consumer is taken over, a slow live one is not', () => {
  const stored = (pg: TestDatabase, provider: string) => count(pg.db, sql`select count(*) as n from events where data->>'provider' = ${provider}`);
  const receipts = (pg: TestDatabase, provider: string) =>
    count(pg.db, sql`select count(distinct r.id) as n from sre_actions a cross join jsonb_array_elements_text(a.payload->'event_ids') r(id) join events e on e.id = r.id where a.kind = 'events.received' and e.data->>'provider' = ${provider}`);
  const receiptTotal = (pg: TestDatabase, provider: string) =>
    count(pg.db, sql`select coalesce(sum((payload->>'count')::int), 0) as n from sre_actions where kind = 'events.received' and payload->'event_ids'->>0 like ${`evt_${provider}_%`}`);

  test('keeps a hung but living replica\'s batch, then takes it over within the claim idle of its SIGKILL, storing each event once', async ({ db: pg, redis: r, stream, group }) => {
    const provider = 'claim-dead';
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    for (let i = 0; i < 300; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, provider)) });

    // Replica A commits its first batch of 100 and then hangs before XACK, alive (holding its
    // entries: the batch and the next 100, read ahead beside it).
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'commit-then-hang.ts'), TEST_REDIS_URL, pg.url, stream, group, 'replica-a', '100', String(CLAIM_IDLE_MS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const survivor = createStreamConsumer({ redisUrl: TEST_REDIS_URL, stream, group, consumer: 'replica-b', handleBatch: handlerFor(pg.db), logger, batchSize: 100, claimIdleMs: CLAIM_IDLE_MS });
    try {
      await waitFor('replica A to commit a batch', () => out.includes('COMMITTED 100'), 60_000);
      await waitFor('replica A to read its next batch ahead', async () => (await ownedBy(r, stream, group, 'replica-a')) === 200);
      await survivor.start();
      await waitFor('replica B to take the other 100', () => survivor.status().acked === 100);
      // Past a claim idle of A holding its batches (their entries' idle time reset four times, every
      // third of the idle, while B looks for idle entries every tenth), both are still A's: the
      // committed one and the one read ahead.
      await heldAcrossClaimIdle(r, stream, group, 'replica-a', 4);
      expect(await ownedBy(r, stream, group, 'replica-a')).toBe(200);
      expect(survivor.status().acked).toBe(100);

      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const killedAt = Date.now();
      // B counts an ack once its XACK's reply is in, a moment after Redis has dropped the entries
      // from the pending list: wait for both, or the count can be read in between.
      await waitFor('A\'s batches taken over and acknowledged by B', async () => (await pendingCount(r, stream, group)) === 0 && survivor.status().acked === 300);
      const takeoverMs = Date.now() - killedAt;
      // The bound is claim idle + claim every (1.1 s here) and two batches; several times it, never a tight figure.
      expect(takeoverMs).toBeLessThan(10_000);
      expect(survivor.status().acked).toBe(300);

      expect(await stored(pg, provider)).toBe(300);
      expect(await count(pg.db, sql`select count(*) as n from incidents where key = ${`provider:${provider}`}`)).toBe(1);
      expect(await count(pg.db, sql`select event_count as n from incidents where key = ${`provider:${provider}`}`)).toBe(300);
      expect(await receipts(pg, provider)).toBe(300);
      expect(await receiptTotal(pg, provider)).toBe(300);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await survivor.stop();
    }
    // A child process under tsx can take half a minute to start on a busy machine.
  }, 120_000);

  /**
   * Replica A's batches take 2.5 claim idles; replica B claims every 100 ms. A holds two batches
   * of 50 (one in its handler, one read ahead), B reads the third. Returns the ids each handled.
   */
  async function slowAndFast({ db: pg, redis: r, stream, group }: Pick<StreamContext, 'db' | 'redis' | 'stream' | 'group'>, provider: string, holdEveryMs?: number) {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    for (let i = 0; i < 150; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, provider)) });
    const commit = handlerFor(pg.db);
    const handled = { a: [] as string[], b: [] as string[] };
    const recording = (who: 'a' | 'b', delayMs: number) => async (entries: StreamEntry[]) => {
      handled[who].push(...entries.map((e) => e.event.id));
      await sleep(delayMs);
      await commit(entries);
    };
    const slow = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group,
      consumer: 'slow-a',
      handleBatch: recording('a', 2.5 * CLAIM_IDLE_MS),
      logger,
      batchSize: 50,
      claimIdleMs: CLAIM_IDLE_MS,
      ...(holdEveryMs ? { holdEveryMs } : {}),
    });
    const fast = createStreamConsumer({ redisUrl: TEST_REDIS_URL, stream, group, consumer: 'fast-b', handleBatch: recording('b', 0), logger, batchSize: 50, claimIdleMs: CLAIM_IDLE_MS, claimEveryMs: 100 });
    await slow.start();
    try {
      await waitFor('the slow replica to hold a batch', () => handled.a.length === 50);
      await waitFor('the slow replica to read its next batch ahead', async () => (await ownedBy(r, stream, group, 'slow-a')) === 100);
      await fast.start();
      await waitFor('every entry acknowledged', async () => (await pendingCount(r, stream, group)) === 0 && (await stored(pg, provider)) === 150 && handled.a.length >= 100);
      return { handled, slow: slow.status() };
    } finally {
      await fast.stop();
      await slow.stop();
    }
  }

  test('never hands a slow live replica\'s batch to a peer: each entry handled by one replica, once', async ({ db: pg, redis, stream, group }) => {
    const { handled, slow } = await slowAndFast({ db: pg, redis, stream, group }, 'claim-slow');
    // A's two batches (the second waited, read ahead and held, for 2.5 claim idles) stayed A's.
    expect(handled.a).toHaveLength(100);
    expect(handled.b).toHaveLength(50);
    expect(handled.a.filter((id) => handled.b.includes(id))).toEqual([]);
    expect(new Set([...handled.a, ...handled.b]).size).toBe(150);
    expect(slow.holdTouches).toBeGreaterThan(0);
    expect(slow.longestBatchMs).toBeGreaterThan(CLAIM_IDLE_MS);
    expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:claim-slow'`)).toBe(150);
    expect(await receiptTotal(pg, 'claim-slow')).toBe(150);
  });

  test('without the hold, the same slow batch would be taken by the peer (the test above can fail)', async ({ db: pg, redis, stream, group }) => {
    const { handled } = await slowAndFast({ db: pg, redis, stream, group }, 'claim-unheld', 60_000);
    // Both of A's batches sat idle past the claim idle (the one read ahead as well), so B took both.
    expect(handled.a.filter((id) => handled.b.includes(id))).toHaveLength(100);
    // Handled twice, stored and counted once: dedup by event id.
    expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:claim-unheld'`)).toBe(150);
    expect(await receiptTotal(pg, 'claim-unheld')).toBe(150);
  });
});
