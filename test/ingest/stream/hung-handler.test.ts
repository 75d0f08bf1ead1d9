import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamConsumer, type StreamEntry } from '../../../src/ingest/redis-consumer.js';
import { sample } from '../../ship/support.js';
import { startAgent } from '../../support/agent.js';
import { workdayClock } from '../../support/clock.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { count, handlerFor, logger, pendingCount, providerEvent, redis, uniqueStream, waitFor } from './support.js';

/**
 * Issue 18 item 9: a stream handler that never returns is detected (a per-batch deadline on the
 * consumer's clock) and its entries handed to a peer, which stores each event once; a late second
 * write of the hung handler is deduplicated by the store.
 */
const CLAIM_IDLE_MS = 1_000;
const HANDLER_TIMEOUT_MS = 60_000;
const ENTRIES = 20;
// A secret-looking payload: the timeout's log line names entry ids, never what the entries carry.
const SECRET = 'sk-live-do-not-log-0123456789abcdef';
const never = () => new Promise<void>(() => {});

describe('a stream handler that never returns', () => {
  let pg: TestDatabase;
  let r: Awaited<ReturnType<typeof redis>>;
  const streams: string[] = [];

  beforeAll(async () => {
    pg = await freshPostgres();
    r = await redis();
  });
  afterAll(async () => {
    for (const s of streams) await r.del([s, `${s}:dead`]);
    await r.close();
    await pg.dispose();
  });

  const stored = (provider: string) => count(pg.db, sql`select count(*) as n from events where data->>'provider' = ${provider}`);
  const eventCount = (provider: string) => count(pg.db, sql`select coalesce(sum(event_count), 0) as n from incidents where key = ${`provider:${provider}`}`);
  const receiptTotal = (provider: string) =>
    count(pg.db, sql`select coalesce(sum((payload->>'count')::int), 0) as n from sre_actions where kind = 'events.received' and payload->'event_ids'->>0 like ${`evt_${provider}_%`}`);

  async function streamWith(provider: string): Promise<{ stream: string; group: string; ids: string[] }> {
    const stream = uniqueStream();
    streams.push(stream);
    const group = 'sre-agent';
    await r.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    const ids: string[] = [];
    for (let i = 0; i < ENTRIES; i++) ids.push(await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(i, provider, { sample_errors: [SECRET] })) }));
    return { stream, group, ids };
  }

  function capturingLogger() {
    const lines: string[] = [];
    return { lines, logger: pino({ level: 'info' }, { write: (s: string) => void lines.push(s) }) };
  }

  /** Consumer A, on a test clock, whose handler is given; resolves once A's handler holds every entry. */
  async function hungReplica(stream: string, group: string, handleBatch: (entries: StreamEntry[]) => Promise<void>) {
    const clock = workdayClock();
    const logs = capturingLogger();
    const timeouts: string[][] = [];
    const a = createStreamConsumer({
      redisUrl: TEST_REDIS_URL,
      stream,
      group,
      consumer: 'hung-a',
      handleBatch,
      logger: logs.logger,
      clock,
      batchSize: 50,
      blockMs: 100,
      claimIdleMs: CLAIM_IDLE_MS,
      handlerTimeoutMs: HANDLER_TIMEOUT_MS,
      onHandlerTimeout: (ids: string[]) => void timeouts.push(ids),
    });
    await a.start();
    return { a, clock, logs, timeouts };
  }

  function peer(stream: string, group: string, handleBatch: (entries: StreamEntry[]) => Promise<void>) {
    return createStreamConsumer({ redisUrl: TEST_REDIS_URL, stream, group, consumer: 'peer-b', handleBatch, logger, clock: workdayClock(), batchSize: 50, blockMs: 100, claimIdleMs: CLAIM_IDLE_MS, claimEveryMs: 100 });
  }

  it('past the deadline A lets its entries go, B takes them, and every event is stored once', async () => {
    const provider = 'hung-forever';
    const { stream, group, ids } = await streamWith(provider);
    const handledA: string[] = [];
    const handledB: string[] = [];
    const commit = handlerFor(pg.db);
    const { a, clock, logs, timeouts } = await hungReplica(stream, group, (entries) => {
      handledA.push(...entries.map((e) => e.id));
      return never();
    });
    const b = peer(stream, group, async (entries) => {
      handledB.push(...entries.map((e) => e.id));
      await commit(entries);
    });
    try {
      await waitFor('A to hold every entry in its hung handler', () => handledA.length === ENTRIES);
      await b.start();
      // The hung batch is A's while it is within its deadline (hold-while-working); then it is not.
      await clock.advance(HANDLER_TIMEOUT_MS);
      await waitFor('B to take A\'s entries and acknowledge them', async () => (await pendingCount(r, stream, group)) === 0, 10_000);

      expect(handledB.sort()).toEqual([...ids].sort());
      expect(handledA).toHaveLength(ENTRIES);
      expect(await stored(provider)).toBe(ENTRIES);
      expect(await eventCount(provider)).toBe(ENTRIES);
      expect(await receiptTotal(provider)).toBe(ENTRIES);

      expect(timeouts).toEqual([ids]);
      expect(a.status().handlerTimeouts).toBe(1);
      const errors = logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string; entry_ids?: string[] }).filter((l) => l.level >= 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.msg).toMatch(/deadline/);
      expect(errors[0]!.entry_ids).toEqual(ids);
      expect(logs.lines.join('\n')).not.toContain(SECRET);
    } finally {
      await b.stop();
      await a.stop();
    }
  }, 60_000);

  it('a hung handler that writes late, after B stored the entries, writes nothing twice', async () => {
    const provider = 'hung-late';
    const { stream, group } = await streamWith(provider);
    const commit = handlerFor(pg.db);
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    let late: Promise<void> | undefined;
    const { a, clock } = await hungReplica(stream, group, (entries) => {
      late = gate.then(() => commit(entries));
      return late;
    });
    const b = peer(stream, group, commit);
    try {
      await waitFor('A to hold every entry in its hung handler', () => late !== undefined);
      await b.start();
      await clock.advance(HANDLER_TIMEOUT_MS);
      await waitFor('B to store A\'s entries', async () => (await pendingCount(r, stream, group)) === 0, 10_000);
      expect(await stored(provider)).toBe(ENTRIES);

      // The abandoned call comes back and commits the same batch: the store keeps it exactly-once.
      release();
      await late;
      expect(await stored(provider)).toBe(ENTRIES);
      expect(await eventCount(provider)).toBe(ENTRIES);
      expect(await receiptTotal(provider)).toBe(ENTRIES);
      expect(await count(pg.db, sql`select count(*) as n from incidents where key = ${`provider:${provider}`}`)).toBe(1);
    } finally {
      await b.stop();
      await a.stop();
    }
  }, 60_000);

  it('with no peer, A takes its abandoned entries back itself and stores each once', async () => {
    const provider = 'hung-alone';
    const { stream, group, ids } = await streamWith(provider);
    const commit = handlerFor(pg.db);
    const calls: string[][] = [];
    const { a, clock } = await hungReplica(stream, group, async (entries) => {
      calls.push(entries.map((e) => e.id));
      if (calls.length === 1) return never();
      await commit(entries);
    });
    try {
      await waitFor('A to hold every entry in its hung handler', () => calls.length === 1);
      await clock.advance(HANDLER_TIMEOUT_MS);
      await waitFor('A to retry its abandoned entries', async () => (await pendingCount(r, stream, group)) === 0, 10_000);
      expect(calls.flat().sort()).toEqual([...ids, ...ids].sort());
      expect(await stored(provider)).toBe(ENTRIES);
      expect(await eventCount(provider)).toBe(ENTRIES);
      expect(await receiptTotal(provider)).toBe(ENTRIES);
    } finally {
      await a.stop();
    }
  }, 60_000);

  it('as main.ts wires it: an ingest stuck on a lock passes SRE_STREAM_HANDLER_TIMEOUT, is counted, and its late commit and the retry store each event once', async () => {
    const provider = 'hung-wired';
    const { stream, group } = await streamWith(provider);
    // Another session holds ingest's per-key lock for this provider: the agent's handler waits on it.
    const locker = postgres(pg.url, { max: 1, onnotice: () => {} });
    const clock = workdayClock();
    let running: Awaited<ReturnType<typeof startAgent>> | undefined;
    try {
      await locker`select pg_advisory_lock(hashtextextended(${`provider:${provider}`}, 7400132))`;
      running = await startAgent(pg, { REDIS_URL: TEST_REDIS_URL, SRE_EVENT_STREAM: stream, SRE_CONSUMER_GROUP: group, SRE_CONSUMER_NAME: 'agent-a', SRE_STREAM_CLAIM_IDLE: '1s', SRE_STREAM_HANDLER_TIMEOUT: '45s' }, { clock });
      const base = running.base;
      // pg_locks is the whole server's: only a waiter in this test's database on this provider's key
      // (a 64-bit advisory key shows as classid, the high half, and objid, the low half). Any waiter
      // would do when another test's agent waited on a lock of its own, and the clock then moved
      // before this agent's handler had started its deadline.
      const waiting = () =>
        count(
          pg.db,
          sql`select count(*) as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())
                and objsubid = 1 and ((classid::bigint << 32) | objid::bigint) = hashtextextended(${`provider:${provider}`}, 7400132)`,
        );
      await waitFor('the agent\'s ingest to wait on the lock', async () => (await waiting()) > 0);
      await clock.advance(45_000);
      await waitFor('the timeout counted', async () => sample(await (await fetch(`${base}/metrics`)).text(), 'sre_stream_handler_timeouts_total') === 1, 10_000);

      // The lock goes: the abandoned call commits late, and the retry (no peer here) finds every event stored.
      await locker`select pg_advisory_unlock_all()`;
      await waitFor('every entry stored and acknowledged', async () => (await pendingCount(r, stream, group)) === 0 && (await stored(provider)) === ENTRIES, 10_000);
      expect(await eventCount(provider)).toBe(ENTRIES);
      expect(await receiptTotal(provider)).toBe(ENTRIES);
      expect(await count(pg.db, sql`select count(*) as n from incidents where key = ${`provider:${provider}`}`)).toBe(1);
    } finally {
      await locker.end();
      await running?.stop();
    }
  }, 60_000);
});
