import { systemClock } from '../../src/clock.js';
import { createStreamConsumer } from '../../src/ingest/redis-consumer.js';
import { streamBatchHandler } from '../../src/ingest/stream/wiring.js';
import { entriesOfRead } from '../../src/ingest/stream/redis-reply.js';
import type { PlatformEvent } from '../../src/domain/events.js';
import { startBenchTracing, startCollector } from '../tracing.js';
import { REDIS_URL, RUNS, freshDatabase, logger, median, progress, providerEvent, redisClient, round, scaled, streamName, xaddAll, type RedisClient } from '../support.js';

export interface IngestResult {
  ingest_events_per_s: number;
  ingest_traced_events_per_s: number;
  ingest_traced_ratio: number;
  ingest_traced_untraced_events_per_s: number;
  ingest_traced_spans_dropped: number;
  ingest_raw_events_per_s: number;
  ingest_ratio: number;
  ingest_runs: { agent_events_per_s: number; raw_events_per_s: number; ratio: number }[];
  ingest_events: number;
  ingest_seconds: number;
  ingest_raw_seconds: number;
  ingest_batch_max_ms: number;
}

const BATCH = 500;
const TIME_LIMIT_MS = 120_000;

/**
 * Sustained ingest: the same events through the agent's consumer (parse, dedup, correlate, audit,
 * outbox, one transaction a batch) and through a bare XREADGROUP → batched INSERT → XACK loop,
 * RUNS times in one process in alternating order (raw first, then agent first, …), each on streams
 * and databases of their own; the rates are the medians of the runs (each run's kept in
 * `ingest_runs`, with its agent ÷ raw ratio).
 */
export async function benchIngest(): Promise<IngestResult> {
  const n = scaled(20_000);
  const events = Array.from({ length: n }, (_, i) => providerEvent(`evt_ing_${i}`, `prov-${i % 20}`, i));
  const r = await redisClient();
  try {
    const runs: IngestRun[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await ingestRun(r, events, i));
    const traced = await tracedComparison(r, events, n);
    const mid = (pick: (run: IngestRun) => number) => median(runs.map(pick))!;
    return {
      ingest_traced_events_per_s: traced.tracedPerS,
      ingest_traced_ratio: round(traced.tracedPerS / traced.plainPerS, 3),
      ingest_traced_untraced_events_per_s: traced.plainPerS,
      ingest_traced_spans_dropped: traced.dropped,
      ingest_events_per_s: round(mid((x) => x.committed / x.seconds), 0),
      ingest_raw_events_per_s: round(mid((x) => x.rawDone / x.rawSeconds), 0),
      ingest_ratio: round(mid((x) => x.committed / x.seconds / (x.rawDone / x.rawSeconds)), 3),
      ingest_runs: runs.map((x) => ({
        agent_events_per_s: round(x.committed / x.seconds, 0),
        raw_events_per_s: round(x.rawDone / x.rawSeconds, 0),
        ratio: round(x.committed / x.seconds / (x.rawDone / x.rawSeconds), 3),
      })),
      ingest_events: Math.min(...runs.map((x) => x.committed)),
      ingest_seconds: round(mid((x) => x.seconds), 2),
      ingest_raw_seconds: round(mid((x) => x.rawSeconds), 2),
      // Read to acknowledged, against SRE_STREAM_CLAIM_IDLE (15 s): a live consumer must never look dead.
      ingest_batch_max_ms: Math.max(...runs.map((x) => x.longestBatchMs)),
    };
  } finally {
    await r.close();
  }
}

interface IngestRun {
  committed: number;
  seconds: number;
  longestBatchMs: number;
  rawDone: number;
  rawSeconds: number;
}

/** One run: the raw ceiling and the agent on the same Redis and PostgreSQL, the raw loop first in even runs. */
async function ingestRun(r: RedisClient, events: PlatformEvent[], run: number): Promise<IngestRun> {
  const n = events.length;
  const agentStream = streamName(`ingest-${run}`);
  const rawStream = streamName(`ingest-raw-${run}`);
  const agentDb = await freshDatabase(`ingest_${run}`);
  const rawDb = await freshDatabase(`ingest_raw_${run}`);
  try {
    await r.xGroupCreate(agentStream, 'sre-agent', '0', { MKSTREAM: true });
    await r.xGroupCreate(rawStream, 'raw', '0', { MKSTREAM: true });
    await xaddAll(r, agentStream, events);
    await xaddAll(r, rawStream, events);
    progress(`ingest: run ${run + 1} of ${RUNS}, ${n} events in each stream`);
    // The raw ceiling: same Redis, same PostgreSQL, same events table, nothing else.
    const raw = async () => {
      const t0 = performance.now();
      const rawDone = await rawLoop(r, rawStream, rawDb.raw!, n);
      const rawSeconds = (performance.now() - t0) / 1000;
      progress(`ingest: raw ${rawDone} in ${rawSeconds.toFixed(1)} s`);
      return { rawDone, rawSeconds };
    };
    const agent = async () => {
      const out = await agentPhase(agentStream, agentDb, n);
      progress(`ingest: agent ${out.committed} in ${out.seconds.toFixed(1)} s`);
      return out;
    };
    if (run % 2 === 0) {
      const rawOut = await raw();
      return { ...(await agent()), ...rawOut };
    }
    const agentOut = await agent();
    return { ...agentOut, ...(await raw()) };
  } finally {
    await r.del([agentStream, rawStream, `${agentStream}:dead`]);
    await agentDb.drop();
    await rawDb.drop();
  }
}

type BenchDb = Awaited<ReturnType<typeof freshDatabase>>;

/** The agent's consumer into ingestEvents through the handler main.ts wires (streamBatchHandler), until every event is committed. */
async function agentPhase(stream: string, db: BenchDb, n: number): Promise<{ committed: number; seconds: number; longestBatchMs: number }> {
  const handler = streamBatchHandler({ db: db.db, channels: ['slack'] as const, clock: systemClock, logger });
  let committed = 0;
  // Timed to the commit of the last event, as the raw loop is to its last batch (not to a poll after it).
  let allCommitted = () => {};
  const done = new Promise<void>((resolve) => (allCommitted = resolve));
  const consumer = createStreamConsumer({
    redisUrl: REDIS_URL,
    stream,
    group: 'sre-agent',
    consumer: 'bench-0',
    logger,
    batchSize: BATCH,
    blockMs: 200,
    handleBatch: async (entries, batch) => {
      await handler(entries, batch);
      committed += entries.length;
      if (committed >= n) allCommitted();
    },
  });
  const t0 = performance.now();
  await consumer.start();
  let limit: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((resolve) => (limit = setTimeout(resolve, TIME_LIMIT_MS)))]);
  clearTimeout(limit);
  const seconds = (performance.now() - t0) / 1000;
  const longestBatchMs = consumer.status().longestBatchMs;
  await consumer.stop();
  return { committed, seconds, longestBatchMs };
}

/**
 * Tracing on against off, in two rounds of alternating order (off, on, on, off), each run on a
 * stream and database of its own set up the same way (events added, a checkpoint); each side's
 * figure is its two runs together (events ÷ seconds), so a machine warming up or getting busier
 * over the part weighs on both sides alike. Tracing on exports to a local collector in this process.
 */
async function tracedComparison(r: RedisClient, events: PlatformEvent[], n: number): Promise<{ tracedPerS: number; plainPerS: number; dropped: number }> {
  const collector = await startCollector();
  const total = { on: { events: 0, seconds: 0 }, off: { events: 0, seconds: 0 } };
  let dropped = 0;
  try {
    for (const [k, side] of (['off', 'on', 'on', 'off'] as const).entries()) {
      const stream = streamName(`ingest-${side}-${k}`);
      const db = await freshDatabase(`ingest_${side}_${k}`);
      try {
        await r.xGroupCreate(stream, 'sre-agent', '0', { MKSTREAM: true });
        await xaddAll(r, stream, events);
        await db.raw?.unsafe('checkpoint').catch(() => undefined);
        const traced = side === 'on' ? startBenchTracing(collector.env) : undefined;
        const out = await agentPhase(stream, db, n).finally(() => traced?.tracing.shutdown(5_000));
        dropped += traced?.dropped() ?? 0;
        total[side].events += out.committed;
        total[side].seconds += out.seconds;
        progress(`ingest: tracing ${side}, ${out.committed} in ${out.seconds.toFixed(1)} s`);
      } finally {
        await r.del([stream, `${stream}:dead`]);
        await db.drop();
      }
    }
    progress(`ingest: ${collector.requests()} export requests, ${dropped} spans dropped`);
  } finally {
    await collector.close();
  }
  return { tracedPerS: round(total.on.events / total.on.seconds, 0), plainPerS: round(total.off.events / total.off.seconds, 0), dropped };
}

async function rawLoop(r: RedisClient, stream: string, sql: NonNullable<Awaited<ReturnType<typeof freshDatabase>>['raw']>, n: number): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  while (done < n && performance.now() - t0 < TIME_LIMIT_MS) {
    const entries = entriesOfRead(await r.xReadGroup('raw', 'raw-0', { key: stream, id: '>' }, { COUNT: BATCH, BLOCK: 200 }));
    if (entries.length === 0) continue;
    // Bare: JSON.parse only, no validation, no correlation, no audit.
    const rows = [];
    for (const e of entries) {
      const ev = JSON.parse(e.fields?.event ?? 'null') as PlatformEvent | null;
      if (!ev) continue;
      rows.push({ id: ev.id, type: ev.type, occurred_at: ev.occurred_at, source: ev.source, via: 'stream', data: JSON.stringify(ev.data), incident_id: 'raw' });
    }
    await sql`insert into events ${sql(rows)} on conflict do nothing`;
    await r.xAck(stream, 'raw', entries.map((e) => e.id));
    done += entries.length;
  }
  return done;
}
