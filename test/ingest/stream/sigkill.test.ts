import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect } from 'vitest';
import { heartbeatKeys } from '../../../src/jobs/heartbeat.js';
import { get } from '../../support/http.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { eventually } from '../../support/eventually.js';
import { streamTest as test } from '../../support/fixtures.js';
import { sample } from '../../ship/support.js';
import { count, providerEvent } from './support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ENTRIES = 40;

describe('two agents on one Redis, one killed with SIGKILL holding a batch', () => {
  test('the survivor claims its entries once its heartbeat is gone (TTL 1 s, claim idle 1 h) and stores each once', async ({ db, redis: r, stream, group, startAgent }) => {
    const provider = 'sigkilled';
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    for (let i = 0; i < ENTRIES; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, provider)) });
    // Ingest's per-key lock held by the test: the child's batch waits on it, read and unacknowledged.
    const locker = postgres(db.url, { max: 1, onnotice: () => {} });
    await locker`select pg_advisory_lock(hashtextextended(${`provider:${provider}`}, 7400132))`;
    const env = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, SRE_EVENT_STREAM: stream, SRE_CONSUMER_GROUP: group, SRE_CONSUMER_NAME: 'replica-a', SRE_HEARTBEAT_TTL: '1s', SRE_STREAM_CLAIM_IDLE: '1h' };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'agent-serve.ts')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      await eventually(async () => (await r.xPendingRange(stream, group, '-', '+', 100, { consumer: 'replica-a' })).length === ENTRIES && (await r.exists(heartbeatKeys(stream, group).key('replica-a'))) === 1, {
        what: 'the child agent holding every entry, its heartbeat live',
        timeoutMs: 60_000,
        everyMs: 100,
      });
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await locker`select pg_advisory_unlock_all()`;

      const b = await startAgent({ SRE_CONSUMER_NAME: 'replica-b', SRE_HEARTBEAT_TTL: '1s', SRE_STREAM_CLAIM_IDLE: '1h' });
      await eventually(async () => (await count(db.db, sql`select count(*) as n from events where data->>'provider' = ${provider}`)) === ENTRIES && (await r.xPendingRange(stream, group, '-', '+', 100)).length === 0, {
        what: "the killed agent's entries stored and acknowledged by the survivor",
        timeoutMs: 30_000,
      });
      expect(await count(db.db, sql`select event_count as n from incidents where key = ${`provider:${provider}`}`)).toBe(ENTRIES);
      expect(await count(db.db, sql`select coalesce(sum((payload->>'count')::int), 0) as n from sre_actions where kind = 'events.received'`)).toBe(ENTRIES);
      const consumers = (await r.xInfoConsumers(stream, group)) as unknown as { name: string }[];
      expect(consumers.map((c) => String(c.name))).not.toContain('replica-a');
      expect(sample((await get(b.base, '/metrics')).body as string, 'sre_takeovers_total', { cause: 'heartbeat' })).toBe(1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await locker.end();
      await r.del([heartbeatKeys(stream, group).members]);
    }
  }, 120_000);
});
