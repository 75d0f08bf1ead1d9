import { systemClock } from '../../../src/clock.js';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { SQL } from 'drizzle-orm';
import { pino } from 'pino';
import { createClient } from 'redis';
import { createLogPager, createSimulatedGateway } from '../../../src/actions/index.js';
import { PlaybookReasoner } from '../../../src/agent/playbook/index.js';
import type { Reasoner } from '../../../src/agent/reasoner.js';
import { queryRows, type Db } from '../../../src/db/client.js';
import type { PlatformEvent } from '../../../src/domain/events.js';
import type { Channel } from '../../../src/domain/notifications.js';
import { auditDeadLetter, streamBatchHandler } from '../../../src/ingest/stream/wiring.js';
import type { ServiceDeps } from '../../../src/proposals/types.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { workdayClock } from '../../support/clock.js';
import { eventually } from '../../support/eventually.js';

export const logger = pino({ level: 'silent' });

export function uniqueStream(): string {
  return `sre-test:${randomBytes(5).toString('hex')}`;
}

export async function redis(url = TEST_REDIS_URL) {
  const c = createClient({ url });
  c.on('error', () => {});
  await c.connect();
  return c;
}

export function providerEvent(i: number, provider = 'openai', extra: Partial<{ sample_errors: string[] }> = {}): PlatformEvent {
  return {
    id: `evt_${provider}_${i}`,
    type: 'provider.unhealthy',
    occurred_at: new Date(Date.UTC(2026, 10, 25, 10, 0, 0) + i).toISOString(),
    source: 'admin-api',
    data: { provider, error_rate: 0.5, requests: 1000, window_seconds: 60, ...extra },
  };
}

export function ingestDeps(db: Db) {
  return { db, channels: [] as const, clock: systemClock, logger };
}

/** The handler main.ts wires: the whole batch into ingestEvents, one transaction. */
export function handlerFor(db: Db) {
  return streamBatchHandler(ingestDeps(db));
}

export function auditDeadLetterTo(db: Db) {
  return auditDeadLetter({ db });
}

export async function count(db: Db, q: SQL): Promise<number> {
  const rows = await queryRows<{ n: string | number }>(db, q);
  return Number(rows[0]?.n ?? 0);
}

/** eventually() (test/support/eventually.ts) in this folder's argument order. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  await eventually(check, { what, timeoutMs, everyMs: 50 });
}

export async function pendingCount(c: Awaited<ReturnType<typeof redis>>, stream: string, group: string): Promise<number> {
  const rows = await c.xPendingRange(stream, group, '-', '+', 100_000);
  return rows.length;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Full service dependencies on the playbook reasoner and the simulated gateway; counts reasoning runs. */
export function serviceDeps(db: Db, channels: readonly Channel[] = ['slack']): { deps: ServiceDeps; reasoningRuns: () => number } {
  const playbook = new PlaybookReasoner({ logger });
  let runs = 0;
  const reasoner: Reasoner = {
    name: 'playbook',
    propose: (ctx, gw) => {
      runs++;
      return playbook.propose(ctx, gw);
    },
    converse: (ctx, thread, gw) => playbook.converse(ctx, thread, gw),
  };
  const deps: ServiceDeps = {
    db,
    gateway: createSimulatedGateway(),
    pager: createLogPager(logger),
    reasoner,
    logger,
    channels,
    policy: { riskThreshold: 40, autoApprove: false, timeZone: 'UTC', criticalTeams: [], mode: 'live', twoPersonScore: 75 },
    safety: { verifyWindowMs: 5 * 60_000, autoRevert: true, actionCooldownMs: 30 * 60_000, maxActionsPerHour: 10 },
    lifecycle: { escalateAfterMs: 15 * 60_000, proposalTtlMs: 24 * 3_600_000 },
    publicBaseUrl: 'http://localhost:8080',
    clock: workdayClock(),
  };
  return { deps, reasoningRuns: () => runs };
}
