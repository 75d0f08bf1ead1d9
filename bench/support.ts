import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import postgres from 'postgres';
import { createClient } from 'redis';
import { connectPostgres, type Database } from '../src/db/client.js';
import type { PlatformEvent } from '../src/domain/events.js';

/** Bench configuration: the local services, overridable by environment (the bench is not the product). */
export const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Scales every part's counts (0.1 for a quick smoke run). */
export const SCALE = Number(process.env.BENCH_SCALE ?? 1);

export const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' });
export const runId = randomBytes(4).toString('hex');

export function scaled(n: number): number {
  return Math.max(1, Math.round(n * SCALE));
}

export function progress(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export interface BenchDatabase extends Database {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database of the bench's own, dropped at the end. */
export async function freshDatabase(label: string, max = 10): Promise<BenchDatabase> {
  const name = `sre_bench_${runId}_${label}`;
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(DATABASE_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const d = connectPostgres(url, { max });
  await d.migrate();
  return {
    ...d,
    name,
    url,
    async drop() {
      await d.close().catch(() => {});
      const a = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** Drops whatever this run left behind (an interrupted part). */
export async function dropLeftovers(): Promise<void> {
  const a = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    const mine = await a<{ datname: string }[]>`select datname from pg_database where datname like ${`sre_bench_${runId}_%`}`;
    for (const { datname } of mine) await a.unsafe(`drop database if exists ${datname} with (force)`);
  } finally {
    await a.end();
  }
}

export async function redisClient() {
  const c = createClient({ url: REDIS_URL });
  c.on('error', () => {});
  await c.connect();
  return c;
}
export type RedisClient = Awaited<ReturnType<typeof redisClient>>;

export function streamName(label: string): string {
  return `sre-bench:${runId}:${label}`;
}

const BASE = Date.UTC(2026, 10, 25, 10, 0, 0);

export function providerEvent(id: string, provider: string, i: number): PlatformEvent {
  return {
    id,
    type: 'provider.unhealthy',
    occurred_at: new Date(BASE + i).toISOString(),
    source: 'admin-api',
    data: { provider, error_rate: 0.42, requests: 1200, window_seconds: 60, model_group: 'gpt-4o', sample_errors: ['upstream 503'] },
  };
}

/** XADDs in pipelined chunks; returns when all are in the stream. */
export async function xaddAll(r: RedisClient, stream: string, events: PlatformEvent[], chunk = 1000): Promise<void> {
  for (let i = 0; i < events.length; i += chunk) {
    await Promise.all(events.slice(i, i + chunk).map((e) => r.xAdd(stream, '*', { event: JSON.stringify(e) })));
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** The middle value (the mean of the two middle ones for an even count); null for none. */
export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * BENCH_RUNS (default 3): runs of the approve part's and the ingest part's headline figures in one
 * process; each figure is the median of the runs, so one noisy run does not decide (issue 23 item 4).
 */
export const RUNS = Math.max(1, Math.floor(Number(process.env.BENCH_RUNS ?? 3)) || 1);

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Samples this process's RSS; the peak is what the bench reports. */
export function rssSampler(everyMs = 100): { peakMb(): number; partPeakMb(): number; stop(): void } {
  let peak = process.memoryUsage.rss();
  let partPeak = peak;
  const t = setInterval(() => {
    const now = process.memoryUsage.rss();
    peak = Math.max(peak, now);
    partPeak = Math.max(partPeak, now);
  }, everyMs);
  t.unref();
  return {
    peakMb: () => round(Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024),
    /** The peak since the previous call: which part needed the memory. */
    partPeakMb: () => {
      const p = Math.max(partPeak, process.memoryUsage.rss());
      partPeak = process.memoryUsage.rss();
      return round(p / 1024 / 1024);
    },
    stop: () => clearInterval(t),
  };
}
