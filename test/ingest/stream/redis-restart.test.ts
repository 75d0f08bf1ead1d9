import { spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamConsumer } from '../../../src/ingest/redis-consumer.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { count, freePort, handlerFor, logger, providerEvent, redis, waitFor } from './support.js';

/** A private redis-server for this test only: the shared one on 6379 is never restarted. */
async function startRedis(port: number): Promise<ChildProcess> {
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitFor('redis-server to listen', async () => {
    try {
      const c = await redis(`redis://127.0.0.1:${port}`);
      await c.close();
      return true;
    } catch {
      return false;
    }
  });
  return p;
}

async function killRedis(p: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGKILL');
  await exited;
}

describe('Redis restarted under a running consumer', () => {
  let pg: TestDatabase;
  let port: number;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    pg = await freshPostgres();
    port = await freePort();
    server = await startRedis(port);
  });
  afterAll(async () => {
    if (server && server.exitCode === null && server.signalCode === null) await killRedis(server);
    await pg.dispose();
  });

  it('reports the outage, reconnects with backoff, recreates its group, and keeps ingesting', async () => {
    const url = `redis://127.0.0.1:${port}`;
    const stream = 'scutum:events';
    const consumer = createStreamConsumer({ redisUrl: url, stream, group: 'sre-agent', consumer: 'replica-0', handleBatch: handlerFor(pg.db), logger });
    await consumer.start();
    try {
      const producer = await redis(url);
      for (let i = 0; i < 100; i++) await producer.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'restart-d')) });
      await producer.close();
      await waitFor('the first hundred', async () => (await count(pg.db, sql`select count(*) as n from events`)) === 100);

      await killRedis(server!);
      await waitFor('status to show the outage', () => !consumer.status().connected);
      expect(consumer.status().lastError).toBeDefined();

      server = await startRedis(port);
      await waitFor('status to show the reconnection', () => consumer.status().connected, 30_000);
      // The restarted server kept nothing (no persistence): the stream and the group are gone.
      const again = await redis(url);
      for (let i = 100; i < 200; i++) await again.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'restart-d')) });
      await waitFor('the second hundred', async () => (await count(pg.db, sql`select count(*) as n from events`)) === 200, 30_000);
      await waitFor('nothing pending', async () => (await again.xPendingRange(stream, 'sre-agent', '-', '+', 1000)).length === 0);
      await again.close();
      expect(await count(pg.db, sql`select event_count as n from incidents where key = 'provider:restart-d'`)).toBe(200);
      expect(consumer.status().running).toBe(true);
    } finally {
      await consumer.stop();
    }
  });
});
