import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { createStreamConsumer } from '../../../src/ingest/redis-consumer.js';
import { entriesOfRead } from '../../../src/ingest/stream/redis-reply.js';
import { streamTest as test } from '../../support/fixtures.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { auditDeadLetterTo, count, handlerFor, logger, pendingCount, providerEvent, waitFor } from './support.js';

describe('stream consumer on real Redis and PostgreSQL', () => {
  test('dead-letters a poison entry and an unparseable one while the others are stored', async ({ db: pg, redis: r, stream, group }) => {
    const consumer = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group,
      consumer: 'poison-test',
      handleBatch: handlerFor(pg.db),
      onDeadLetter: auditDeadLetterTo(pg.db),
      logger,
      maxDeliveries: 3,
    });
    await consumer.start();
    try {
      for (let i = 0; i < 10; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'poison-a')) });
      // Valid for the schema, refused by PostgreSQL (jsonb cannot hold \u0000): fails on every delivery.
      const poisonId = await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(100, 'poison-a', { sample_errors: ['nul \u0000 byte'] })) });
      const garbageId = await r.xAdd(stream, '*', { event: '{"id": "evt_broken", "type": ' });
      for (let i = 10; i < 20; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'poison-a')) });

      await waitFor('two dead letters', async () => (await r.xLen(`${stream}:dead`)) === 2);
      await waitFor('nothing pending', async () => (await pendingCount(r, stream, group)) === 0);

      expect(await count(pg.db, sql`select count(*) as n from events where data->>'provider' = 'poison-a'`)).toBe(20);
      expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:poison-a'`)).toBe(20);
      const dead = await r.xRange(`${stream}:dead`, '-', '+');
      const bySource = new Map(dead.map((d) => [d.message.source_entry_id, d.message]));
      expect(bySource.get(garbageId)?.error).toMatch(/not valid JSON/);
      expect(bySource.get(garbageId)?.deliveries).toBe('1');
      expect(bySource.get(poisonId)?.error).toMatch(/unicode|\\u0000|unsupported/i);
      expect(bySource.get(poisonId)?.deliveries).toBe('3');
      expect(bySource.get(poisonId)?.event).toContain('evt_poison-a_100');
      const audited = await count(pg.db, sql`select count(*) as n from sre_actions where kind = 'event.dead_lettered'`);
      expect(audited).toBe(2);
      expect(consumer.status()).toMatchObject({ connected: true, deadLettered: 2 });
    } finally {
      await consumer.stop();
    }
  });

  test('claims the entries of a consumer that died for good and stores each once', async ({ db: pg, redis: r, stream, group }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    for (let i = 0; i < 50; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'claim-b')) });
    // A replica read these and died before acknowledging them.
    const read = await r.xReadGroup(group, 'dead-replica', { key: stream, id: '>' }, { COUNT: 50 });
    expect(entriesOfRead(read)).toHaveLength(50);
    for (let i = 50; i < 60; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'claim-b')) });

    const survivor = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group,
      consumer: 'survivor',
      handleBatch: handlerFor(pg.db),
      logger,
      claimIdleMs: 300,
      claimEveryMs: 100,
      forgetIdleConsumersMs: 300,
    });
    await survivor.start();
    try {
      await waitFor('all sixty stored', async () => (await count(pg.db, sql`select count(*) as n from events where data->>'provider' = 'claim-b'`)) === 60);
      await waitFor('nothing pending', async () => (await pendingCount(r, stream, group)) === 0);
      expect(await count(pg.db, sql`select count(*) as n from incidents where key = 'provider:claim-b'`)).toBe(1);
      expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:claim-b'`)).toBe(60);
      expect(await count(pg.db, sql`select count(*) as n from sre_actions a cross join jsonb_array_elements_text(a.payload->'event_ids') r(id) join events e on e.id = r.id where a.kind = 'events.received' and e.data->>'provider' = 'claim-b'`)).toBe(60);
      // The dead replica, left with nothing pending, is removed from the group.
      await waitFor('the dead replica forgotten', async () => !(await r.xInfoConsumers(stream, group)).some((c) => c.name === 'dead-replica'));
    } finally {
      await survivor.stop();
    }
  });
});
