import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { createStreamConsumer, type StreamEntry } from '../../../src/ingest/redis-consumer.js';
import { streamTest as test } from '../../support/fixtures.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { count, handlerFor, logger, pendingCount, providerEvent, waitFor } from './support.js';

describe('a slow or unreachable database', () => {
  test('leaves the backlog in Redis: never more than two batches taken but not committed (one committing, one read ahead)', async ({ db: pg, redis: r, stream }) => {
    await r.xGroupCreate(stream, 'sre-agent', '0', { MKSTREAM: true });
    await Promise.all(Array.from({ length: 600 }, (_, i) => r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'slow-h')) })));
    const commit = handlerFor(pg.db);
    const consumer = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group: 'sre-agent',
      consumer: 'slow-0',
      logger,
      batchSize: 50,
      // A database that takes its time with every batch.
      handleBatch: async (entries: StreamEntry[]) => {
        await pg.db.execute(sql`select pg_sleep(0.05)`);
        await commit(entries);
      },
    });
    await consumer.start();
    let maxPending = 0;
    try {
      await waitFor('the backlog committed', async () => {
        maxPending = Math.max(maxPending, await pendingCount(r, stream, 'sre-agent'));
        return (await count(pg.db, sql`select count(*) as n from events where data->>'provider' = 'slow-h'`)) === 600;
      }, 60_000);
    } finally {
      await consumer.stop();
    }
    expect(maxPending).toBeGreaterThan(0);
    // The batch committing and the next, read and parsed beside it; never the 600 of the backlog.
    expect(maxPending).toBeLessThanOrEqual(2 * 50);
  });

  test('retries through an outage without dead-lettering anything and stores every event once', async ({ db: pg, redis: r, stream }) => {
    const commit = handlerFor(pg.db);
    let outage = true;
    let refused = 0;
    const consumer = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group: 'sre-agent',
      consumer: 'outage-0',
      logger,
      maxDeliveries: 2,
      handleBatch: async (entries: StreamEntry[]) => {
        if (outage) {
          refused++;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        }
        await commit(entries);
      },
    });
    await consumer.start();
    try {
      for (let i = 0; i < 30; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'outage-i')) });
      // Long enough for several redeliveries: more than maxDeliveries, none of which may dead-letter.
      await waitFor('several refused attempts', () => refused >= 4, 30_000);
      outage = false;
      await waitFor('everything stored', async () => (await count(pg.db, sql`select count(*) as n from events where data->>'provider' = 'outage-i'`)) === 30, 30_000);
      await waitFor('nothing pending', async () => (await pendingCount(r, stream, 'sre-agent')) === 0);
    } finally {
      await consumer.stop();
    }
    expect(await r.exists(`${stream}:dead`)).toBe(0);
    expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:outage-i'`)).toBe(30);
    expect(consumer.status().lastError).toMatch(/ECONNREFUSED/);
  });
});
