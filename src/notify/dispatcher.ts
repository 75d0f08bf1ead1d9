import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { appendAudit } from '../audit/append.js';
import { schema, type Db } from '../db/client.js';
import { createLeasedQueue, type LeasedQueue } from '../jobs/index.js';
import type { Channel, NotificationKind } from '../domain/notifications.js';
import { systemClock, type Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import { SpanKind, withSpan } from '../telemetry/index.js';
import { PermanentDeliveryError, RetryableDeliveryError, type ChannelAdapter, type DeliveryOutcome, type OutboxRow } from './adapter.js';

const { outbox } = schema;
const DISPATCHER = { type: 'system', name: 'dispatcher' } as const;

export interface DispatcherOptions {
  db: Db;
  adapters: readonly ChannelAdapter[];
  logger: Logger;
  clock?: Clock;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a claimed row is leased before another replica may take it; renewed while it is delivered. */
  leaseMs?: number;
  /** The replica's name, recorded as the lease holder. */
  holder?: string;
  batchSize?: number;
  random?: () => number;
  metrics?: Metrics;
}

export interface Dispatcher {
  /** Delivers what is due now; returns how many rows it finished (sent, skipped or dead). */
  runOnce(): Promise<number>;
  queueDepth(): Promise<number>;
  /** Milliseconds until a row handed back for pacing comes due; undefined when none is waiting. */
  nextWakeInMs(): number | undefined;
  /** Shutting down: rows claimed and not yet delivered go back to the queue at once. */
  handBack(): Promise<number>;
  /** Renews the leases held now; resolves with the rows a peer took (this replica was paused past its heartbeat). */
  renew(): Promise<number[]>;
}

/**
 * The outbox dispatcher. Rows are claimed under FOR UPDATE SKIP LOCKED with a lease, so replicas
 * share the work and a crash only delays a row. Failures back off exponentially with jitter up to
 * a cap, honouring Retry-After; after maxAttempts a row goes dead (visible, logged, audited).
 */
export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const queue = createLeasedQueue('outbox', {
    db: opts.db,
    clock,
    logger: opts.logger,
    holder: opts.holder ?? `dispatcher-${process.pid}`,
    ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
    metrics: opts.metrics,
  });
  const byChannel = new Map<Channel, ChannelAdapter>(opts.adapters.map((a) => [a.channel, a]));
  const lastSent = new Map<string, number>();
  let nextReady = Number.POSITIVE_INFINITY;
  const channels = [...byChannel.keys()];
  const [base, cap] = [opts.baseDelayMs ?? 1000, opts.maxDelayMs ?? 5 * 60_000];
  const ctx: Outcomes = { db: opts.db, queue, logger: opts.logger, metrics: opts.metrics, now, maxAttempts: opts.maxAttempts ?? 8, backoff: (n) => Math.min(cap, base * 2 ** (n - 1)), random: opts.random ?? Math.random };

  // Held from the claim on: a row waiting behind its pace key's earlier rows keeps its lease too.
  const claim = (): Promise<(typeof outbox.$inferSelect)[]> => (channels.length === 0 ? Promise.resolve([]) : queue.claim({ ...claimable(channels), limit: opts.batchSize ?? 20 }));

  /** Delivers one claimed row with its lease renewed throughout, so a slow receiver never gets it twice. */
  async function deliverLeased(row: typeof outbox.$inferSelect): Promise<boolean> {
    // The delivery continues the trace of the step that wrote the row, on whichever replica delivers it.
    const attributes = { 'sre.notification.channel': row.channel, 'sre.notification.kind': row.kind, 'sre.notification.attempt': row.attempts, ...(row.incidentId ? { 'sre.incident.id': row.incidentId } : {}) };
    return withSpan(`sre.notify ${row.channel}`, { kind: SpanKind.PRODUCER, parent: row.traceParent, attributes }, async () => {
      try {
        return await deliverOne(row);
      } finally {
        queue.release(row.id);
      }
    });
  }

  async function deliverOne(row: typeof outbox.$inferSelect): Promise<boolean> {
    const adapter = byChannel.get(row.channel as Channel);
    if (!adapter) return false;
    const view = viewOf(row);
    const paceKey = adapter.paceKey?.(view);
    if (paceKey && adapter.paceMs) {
      const wait = (lastSent.get(paceKey) ?? 0) + adapter.paceMs - clock.nowMs();
      if (wait > 0) {
        // Not yet its turn: hand the row back until it is (not an attempt) rather than sleeping
        // here, so rows of other pace keys — a new incident's first post — never wait behind it.
        await queue.handBack(row.id, new Date(now().getTime() + wait));
        nextReady = Math.min(nextReady, clock.nowMs() + wait);
        return false;
      }
    }
    // Taken over by a peer while this replica was paused past its heartbeat: the peer delivers it.
    if (queue.keeper.takenOver(row.id)) {
      opts.logger.warn({ outbox_id: row.id }, 'notification taken over by a peer while it waited here; not sent from this replica');
      return false;
    }
    try {
      const outcome = await adapter.deliver(view);
      if (paceKey) lastSent.set(paceKey, clock.nowMs());
      await recordDelivery(ctx, row, outcome);
      return true;
    } catch (e) {
      if (paceKey) lastSent.set(paceKey, clock.nowMs());
      return recordFailure(ctx, row, e);
    }
  }

  return {
    async runOnce() {
      let finished = 0;
      // Different pace keys in parallel; the same key one after another.
      await Promise.all(
        byPaceKey(await claim(), byChannel).map(async (g) => {
          for (const r of g) if (await deliverLeased(r)) finished++;
        }),
      );
      return finished;
    },
    handBack: () => queue.keeper.handBack(),
    renew: () => queue.keeper.renew(),
    nextWakeInMs() {
      if (!Number.isFinite(nextReady)) return undefined;
      const ms = Math.max(0, nextReady - clock.nowMs());
      if (ms === 0) nextReady = Number.POSITIVE_INFINITY;
      return ms;
    },
    async queueDepth() {
      const [r] = await opts.db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(eq(outbox.status, 'pending'));
      return r?.n ?? 0;
    },
  };
}

/**
 * The rows a dispatcher may claim: the oldest due row per ordering key only (one incident's messages
 * go out in order), new incidents and new proposals first (a summary edit of a busy incident can wait).
 */
function claimable(channels: readonly string[]) {
  return {
    where: and(
      inArray(outbox.channel, [...channels]),
      sql`not exists (select 1 from outbox o2 where o2.ordering_key = ${outbox.orderingKey} and o2.status = 'pending' and o2.id < ${outbox.id})`,
    ),
    orderBy: [sql`case ${outbox.kind} when 'incident.opened' then 0 when 'proposal.created' then 1 when 'proposal.decided' then 2 when 'execution.finished' then 2 when 'incident.updated' then 9 else 5 end`, outbox.id],
  };
}

type Row = typeof outbox.$inferSelect;

/** What an adapter sees of a claimed row. */
function viewOf(row: Row): OutboxRow {
  return {
    id: row.id,
    channel: row.channel as Channel,
    kind: row.kind as NotificationKind,
    incidentId: row.incidentId,
    proposalId: row.proposalId,
    payload: row.payload,
    attempts: row.attempts,
    createdAt: row.createdAt,
  };
}

/** Claimed rows grouped by their adapter's pace key, in claim order within a group; unpaced rows alone. */
function byPaceKey(rows: Row[], byChannel: ReadonlyMap<Channel, ChannelAdapter>): Row[][] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = byChannel.get(r.channel as Channel)?.paceKey?.(viewOf(r)) ?? `row:${r.id}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()];
}

/** What recording a delivery's outcome needs. */
interface Outcomes {
  db: Db;
  queue: LeasedQueue<'outbox'>;
  logger: Logger;
  metrics: Metrics | undefined;
  now: () => Date;
  maxAttempts: number;
  backoff: (attempts: number) => number;
  random: () => number;
}

/** Sent or skipped: the row is finished once, and a sent one is audited in the same transaction. */
async function recordDelivery(o: Outcomes, row: Row, outcome: DeliveryOutcome): Promise<void> {
  o.metrics?.notifications.inc({ channel: row.channel, outcome: outcome.status });
  await o.db.transaction(async (tx) => {
    const done = await o.queue.finish(tx, row.id, { status: outcome.status, sentAt: o.now(), result: outcome.status === 'sent' ? (outcome.result ?? {}) : { reason: outcome.reason } });
    if (done && outcome.status === 'sent') {
      await appendAudit(tx, { kind: 'notification.sent', actor: DISPATCHER, incidentId: row.incidentId, proposalId: row.proposalId, payload: { channel: row.channel, notification: row.kind, outbox_id: row.id, attempts: row.attempts, result: outcome.result ?? {} } });
    }
  });
}

/** A failure backs off (honouring Retry-After) until maxAttempts, or goes dead at once when permanent; true when the row is finished. */
async function recordFailure(o: Outcomes, row: Row, e: unknown): Promise<boolean> {
  const log = o.logger.child({ outbox_id: row.id, channel: row.channel, kind: row.kind, incident_id: row.incidentId, proposal_id: row.proposalId });
  const message = (e as Error).message.slice(0, 1000);
  if (e instanceof PermanentDeliveryError || row.attempts >= o.maxAttempts) {
    log.error({ err: message, attempts: row.attempts }, 'notification dead');
    o.metrics?.notifications.inc({ channel: row.channel, outcome: 'dead' });
    await o.db.transaction(async (tx) => {
      if (!(await o.queue.finish(tx, row.id, { status: 'dead', lastError: message }))) return;
      await appendAudit(tx, { kind: 'notification.dead', actor: DISPATCHER, incidentId: row.incidentId, proposalId: row.proposalId, payload: { channel: row.channel, notification: row.kind, outbox_id: row.id, attempts: row.attempts, error: message } });
    });
    return true;
  }
  const backoff = o.backoff(row.attempts);
  const delay = e instanceof RetryableDeliveryError && e.retryAfterMs !== undefined ? e.retryAfterMs : Math.round(backoff / 2 + (o.random() * backoff) / 2);
  log.warn({ err: message, attempts: row.attempts, retry_in_ms: delay }, 'notification failed; will retry');
  o.metrics?.notifications.inc({ channel: row.channel, outcome: 'retried' });
  // Only while still ours: a peer that took the row over after a stall decides its fate now.
  await o.queue.retry(row.id, new Date(o.now().getTime() + delay), message);
  return false;
}
