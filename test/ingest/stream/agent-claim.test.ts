import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { entriesOfRead } from '../../../src/ingest/stream/redis-reply.js';
import { eventually } from '../../support/eventually.js';
import { streamTest as test } from '../../support/fixtures.js';
import { count, pendingCount, providerEvent } from './support.js';

describe('the agent as main.ts wires it, with SRE_STREAM_CLAIM_IDLE', () => {
  test('takes over a dead replica\'s unacknowledged entries after the configured idle, once each', async ({ db, redis: r, stream, group, startAgent }) => {
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    for (let i = 0; i < 60; i++) await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, 'wired-claim')) });
    // A replica read these and died before acknowledging them.
    expect(entriesOfRead(await r.xReadGroup(group, 'dead-replica', { key: stream, id: '>' }, { COUNT: 60 }))).toHaveLength(60);

    await startAgent({ SRE_CONSUMER_NAME: 'agent-b', SRE_STREAM_CLAIM_IDLE: '1s' });
    // Claim idle 1 s, looked for every 100 ms, then one batch: well inside ten seconds (the old wiring: 60 s or more).
    await eventually(async () => (await pendingCount(r, stream, group)) === 0 && (await count(db.db, sql`select count(*) as n from events where data->>'provider' = 'wired-claim'`)) === 60, {
      what: "the dead replica's entries stored and acknowledged",
      timeoutMs: 10_000,
    });
    expect(await count(db.db, sql`select event_count as n from incidents where key = 'provider:wired-claim'`)).toBe(60);
  });
});
