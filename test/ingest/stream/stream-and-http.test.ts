import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEvents } from '../../../src/ingest/ingest.js';
import { createStreamConsumer, type StreamConsumer } from '../../../src/ingest/redis-consumer.js';
import { createWebServer } from '../../../src/web/server.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { count, logger, pendingCount, providerEvent, redis, serviceDeps, uniqueStream, waitFor } from './support.js';

describe('the same event id on the stream and over HTTP', () => {
  let pg: TestDatabase;
  let r: Awaited<ReturnType<typeof redis>>;
  let server: Server;
  let base: string;
  let consumer: StreamConsumer;
  const stream = uniqueStream();

  beforeAll(async () => {
    pg = await freshPostgres();
    r = await redis();
    const { deps } = serviceDeps(pg.db, []);
    server = createWebServer({ deps, logger, ingestToken: 'ingest-token', apiTokens: [], ready: async () => ({ ok: true, checks: {} }) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    consumer = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group: 'sre-agent',
      consumer: 'dual-0',
      logger,
      handleBatch: async (entries) => {
        await ingestEvents(deps, entries.map((e) => ({ event: e.event, via: 'stream' as const, entryId: e.id })));
      },
    });
    await consumer.start();
  });
  afterAll(async () => {
    await consumer.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await r.del([stream, `${stream}:dead`]);
    await r.close();
    await pg.dispose();
  });

  const post = (body: unknown) =>
    fetch(`${base}/v1/events`, { method: 'POST', headers: { authorization: 'Bearer ingest-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('counts an event that came over HTTP first and then on the stream once', async () => {
    const event = providerEvent(1, 'dual-f');
    const res = await post(event);
    expect(res.status).toBe(202);
    expect(((await res.json()) as { accepted: string[] }).accepted).toEqual([event.id]);
    await r.xAdd(stream, '*', { event: JSON.stringify(event) });
    await waitFor('the stream entry acknowledged', async () => (await pendingCount(r, stream, 'sre-agent')) === 0 && consumer.status().acked >= 1);

    expect(await count(pg.db, sql`select count(*) as n from events where id = ${event.id}`)).toBe(1);
    expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:dual-f'`)).toBe(1);
    expect(await count(pg.db, sql`select count(*) as n from sre_actions where kind = 'events.received' and payload->'event_ids' ? ${event.id}`)).toBe(1);
  });

  it('answers an HTTP copy of an event already taken from the stream as a duplicate', async () => {
    const event = providerEvent(2, 'dual-g');
    const acked = consumer.status().acked;
    await r.xAdd(stream, '*', { event: JSON.stringify(event) });
    await waitFor('the stream entry stored', async () => consumer.status().acked > acked && (await count(pg.db, sql`select count(*) as n from events where id = ${event.id}`)) === 1);
    const res = await post([event]);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: [], duplicates: [event.id] });

    expect(await count(pg.db, sql`select count(*) as n from events where id = ${event.id}`)).toBe(1);
    expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:dual-g'`)).toBe(1);
    expect(await count(pg.db, sql`select count(*) as n from events where id = ${event.id} and via = 'stream'`)).toBe(1);
  });
});
