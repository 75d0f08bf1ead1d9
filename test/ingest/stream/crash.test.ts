import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { createStreamConsumer } from '../../../src/ingest/redis-consumer.js';
import { streamTest as test } from '../../support/fixtures.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { count, handlerFor, logger, pendingCount, providerEvent, waitFor } from './support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('a consumer killed with SIGKILL between commit and XACK', () => {
  test('is restarted, re-reads its pending batches (the one committed and the one read ahead), and stores every event once', async ({ db: pg, redis: r, stream, group }) => {
    for (let i = 0; i < 300; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'crash-c')) });

    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'commit-then-hang.ts'), TEST_REDIS_URL, pg.url, stream, group, 'replica-0', '100'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await waitFor('the child to commit a batch', () => out.includes('COMMITTED 100'), 60_000);
    // Beside the batch it committed, it read the next one ahead and holds it too.
    await waitFor('the next batch read ahead', async () => (await pendingCount(r, stream, group)) === 200);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // The batch is in PostgreSQL but still pending in Redis: the crash came before the XACK. The
    // batch read ahead is pending and not stored.
    expect(await count(pg.db, sql`select count(*) as n from events where data->>'provider' = 'crash-c'`)).toBe(100);
    expect(await pendingCount(r, stream, group)).toBe(200);

    const restarted = createStreamConsumer({ redisUrl: TEST_REDIS_URL, stream, group, consumer: 'replica-0', handleBatch: handlerFor(pg.db), logger, batchSize: 100 });
    await restarted.start();
    try {
      await waitFor('all entries acknowledged', async () => (await pendingCount(r, stream, group)) === 0 && (await count(pg.db, sql`select count(*) as n from events where data->>'provider' = 'crash-c'`)) === 300);
      expect(await count(pg.db, sql`select count(*) as n from incidents where key = 'provider:crash-c'`)).toBe(1);
      expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:crash-c'`)).toBe(300);
      expect(await count(pg.db, sql`select count(distinct r.id) as n from sre_actions a cross join jsonb_array_elements_text(a.payload->'event_ids') r(id) where a.kind = 'events.received'`)).toBe(300);
      expect(await count(pg.db, sql`select coalesce(sum((payload->>'count')::int), 0) as n from sre_actions where kind = 'events.received'`)).toBe(300);
      expect(await count(pg.db, sql`select count(*) as n from sre_actions where kind = 'incident.opened'`)).toBe(1);
    } finally {
      await restarted.stop();
    }
  });
});
