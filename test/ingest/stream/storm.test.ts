import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { createStreamConsumer } from '../../../src/ingest/redis-consumer.js';
import { runDueJobs } from '../../support/jobs.js';
import { streamTest as test } from '../../support/fixtures.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { count, logger, pendingCount, providerEvent, serviceDeps, waitFor } from './support.js';
import { ingestEvents } from '../../../src/ingest/ingest.js';
import { verifyAudit } from '../../../src/audit/verify.js';

const STORM = 10_000;

describe('a storm of ten thousand events for one provider', () => {
  test('makes one incident, one proposal, one reasoning run, and stores and counts every event', async ({ db: pg, redis: r, stream, group }) => {
    const { deps, reasoningRuns } = serviceDeps(pg.db);
    const consumer = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group,
      consumer: 'storm-0',
      logger,
      handleBatch: async (entries) => {
        await ingestEvents(deps, entries.map((e) => ({ event: e.event, via: 'stream' as const, entryId: e.id })));
      },
    });
    await consumer.start();
    // The timer worker proposes while the storm is still arriving, as it does in the service.
    let storming = true;
    const worker = (async () => {
      while (storming) {
        await runDueJobs(deps);
        await new Promise((res) => setTimeout(res, 100));
      }
      await runDueJobs(deps);
    })();
    try {
      for (let i = 0; i < STORM; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, j) => r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i + j, 'storm-e')) })));
      }
      await waitFor('every event stored', async () => (await count(pg.db, sql`select count(*) as n from events`)) === STORM, 120_000);
      await waitFor('nothing pending', async () => (await pendingCount(r, stream, group)) === 0);
    } finally {
      storming = false;
      await worker;
      await consumer.stop();
    }

    expect(await count(pg.db, sql`select count(*) as n from incidents`)).toBe(1);
    expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:storm-e'`)).toBe(STORM);
    expect(await count(pg.db, sql`select count(*) as n from proposals`)).toBe(1);
    expect(reasoningRuns()).toBe(1);
    expect(await count(pg.db, sql`select count(distinct r.id) as n from sre_actions a cross join jsonb_array_elements_text(a.payload->'event_ids') r(id) where a.kind = 'events.received'`)).toBe(STORM);
    expect(await count(pg.db, sql`select coalesce(sum((payload->>'count')::int), 0) as n from sre_actions where kind = 'events.received'`)).toBe(STORM);
    expect(await verifyAudit(pg.db)).toMatchObject({ ok: true });
    // One Slack thread: one opening post; summary updates coalesce into at most one pending row.
    expect(await count(pg.db, sql`select count(*) as n from outbox where channel = 'slack' and kind = 'incident.opened'`)).toBe(1);
    expect(await count(pg.db, sql`select count(*) as n from outbox where channel = 'slack' and kind = 'incident.updated' and status = 'pending'`)).toBeLessThanOrEqual(1);
    expect(consumer.status().deadLettered).toBe(0);
  });
});
