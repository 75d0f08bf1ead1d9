import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOfRead } from '../../../src/ingest/stream/redis-reply.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { startAgent } from '../../support/agent.js';
import { count, pendingCount, providerEvent, redis, uniqueStream, waitFor } from './support.js';

describe('the agent as main.ts wires it, with SRE_STREAM_CLAIM_IDLE', () => {
  let pg: TestDatabase;
  let r: Awaited<ReturnType<typeof redis>>;
  const stream = uniqueStream();
  const group = 'sre-agent';

  beforeAll(async () => {
    pg = await freshPostgres();
    r = await redis();
  });
  afterAll(async () => {
    await r.del([stream, `${stream}:dead`]);
    await r.close();
    await pg.dispose();
  });

  it('takes over a dead replica\'s unacknowledged entries after the configured idle, once each', async () => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    for (let i = 0; i < 60; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'wired-claim')) });
    // A replica read these and died before acknowledging them.
    expect(entriesOfRead(await r.xReadGroup(group, 'dead-replica', { key: stream, id: '>' }, { COUNT: 60 }))).toHaveLength(60);

    const running = await startAgent(pg, { REDIS_URL: TEST_REDIS_URL, SRE_EVENT_STREAM: stream, SRE_CONSUMER_GROUP: group, SRE_CONSUMER_NAME: 'agent-b', SRE_STREAM_CLAIM_IDLE: '1s' });
    try {
      const t0 = Date.now();
      await waitFor('the dead replica\'s entries stored and acknowledged', async () => (await pendingCount(r, stream, group)) === 0 && (await count(pg.db, sql`select count(*) as n from events where data->>'provider' = 'wired-claim'`)) === 60);
      // Claim idle 1 s, looked for every 100 ms, then one batch: under ten seconds on a busy machine (the old wiring: 60 s or more).
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:wired-claim'`)).toBe(60);
    } finally {
      await running.stop();
    }
  });
});
