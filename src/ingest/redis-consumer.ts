import type { Logger } from 'pino';
import { createClient } from 'redis';
import type { PlatformEvent } from '../domain/events.js';
import { parseStreamEntry } from './stream/parse-entry.js';
import { entriesOfAutoClaim, entriesOfRead, type RawEntry } from './stream/redis-reply.js';
import { isTransientError } from './stream/transient.js';

export { parseStreamEntry, type StreamEntryParse } from './stream/parse-entry.js';
export { isTransientError } from './stream/transient.js';

/** One parsed entry handed to `handleBatch`. */
export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
  event: PlatformEvent;
}

/** An entry moved to the dead-letter stream. `fields` is null when it had been deleted from the stream. */
export interface DeadLetter {
  id: string;
  fields: Record<string, string> | null;
  error: string;
  deliveries: number;
  deadLetterId: string;
  stream: string;
  deadLetterStream: string;
}

export interface StreamConsumerOptions {
  redisUrl: string;
  stream: string;
  group: string;
  /** Unique per replica. A stable name (pod name) lets a restarted replica re-read its own pending entries at once. */
  consumer: string;
  /** Commits the whole batch (one transaction) and returns after the commit; the batch is acked only then. */
  handleBatch: (entries: StreamEntry[]) => Promise<void>;
  logger: Logger;
  batchSize?: number;
  blockMs?: number;
  /** Entries pending this long on another (dead) consumer are claimed (SRE_STREAM_CLAIM_IDLE). */
  claimIdleMs?: number;
  /** How often to look for such entries; default min(claimIdleMs / 10, 5 s), so a takeover comes within about 1.1 × claimIdleMs. */
  claimEveryMs?: number;
  /** How often the entries of the batch in flight are touched (idle reset) so a peer never takes a slow live batch; default claimIdleMs / 3. */
  holdEveryMs?: number;
  /** Other consumers idle this long with nothing pending are removed from the group (names like host-pid pile up); default max(10 × claimIdleMs, 1 h). */
  forgetIdleConsumersMs?: number;
  maxDeliveries?: number;
  deadLetterStream?: string;
  /** Where a newly created group starts: '0' (the whole stream, nothing missed) or '$' (only new entries). */
  startId?: string;
  /** Called after the dead-letter XADD and before the XACK; a failure leaves the entry pending. */
  onDeadLetter?: (entry: DeadLetter, error: string) => Promise<void>;
  /** Infrastructure failures (database down) never count towards dead-lettering; default: connection and SQLSTATE 08/53/57 codes. */
  isTransient?: (err: unknown) => boolean;
}

export interface StreamConsumerStatus {
  connected: boolean;
  running: boolean;
  /** Entries in the stream not yet delivered to the group (Redis ≥ 7). */
  lag?: number;
  /** Entries delivered to the group and not yet acknowledged, all consumers together. */
  pending?: number;
  lastError?: string;
  acked: number;
  deadLettered: number;
  /** The longest a batch has been in flight (read to acknowledged), in ms: it must stay well within the claim idle. */
  longestBatchMs: number;
  /** Entries whose idle time a slow batch reset while holding them (summed over its touches). */
  holdTouches: number;
}

export interface StreamConsumer {
  start(): Promise<void>;
  /** Stops reading, finishes the batch in flight, and leaves unacknowledged entries pending. */
  stop(): Promise<void>;
  status(): StreamConsumerStatus;
}

function errorText(err: unknown): string {
  // A failed statement is wrapped as "Failed query: <SQL> params: <the whole batch>": the
  // database's own message, its cause, is what a dead letter and a log line need.
  let e = err;
  while (e instanceof Error && e.message.startsWith('Failed query') && e.cause instanceof Error) e = e.cause;
  const msg = e instanceof Error ? e.message : String(e);
  return msg.length > 2000 ? `${msg.slice(0, 2000)}…` : msg;
}

/** Thrown inside the loop so a transient failure backs off before anything else is read. */
class TransientBatchFailure extends Error {}

const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 5_000;
const DEAD_LETTER_MAXLEN = 100_000;

/**
 * Resets the idle time of the given range's entries that this consumer still owns (XCLAIM JUSTID
 * leaves the delivery count alone). Atomic, so an entry a peer has just claimed is never taken back.
 * KEYS[1] stream; ARGV group, consumer, first id, last id, count.
 */
const HOLD_SCRIPT = `
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[2])
if #owned == 0 then return 0 end
local args = { KEYS[1], ARGV[1], ARGV[2], 0 }
for _, e in ipairs(owned) do args[#args + 1] = e[1] end
args[#args + 1] = 'JUSTID'
return #redis.call('XCLAIM', unpack(args))
`;

/**
 * A Redis Stream consumer-group member. One batch in flight at a time (back-pressure: nothing is
 * read while a batch is being committed); XACK only after `handleBatch` resolved; poison entries
 * isolated by bisection and, after `maxDeliveries`, moved to the dead-letter stream.
 */
export function createStreamConsumer(opts: StreamConsumerOptions): StreamConsumer {
  const batchSize = opts.batchSize ?? 500;
  const blockMs = opts.blockMs ?? 1000;
  const claimIdleMs = opts.claimIdleMs ?? 15_000;
  const claimEveryMs = opts.claimEveryMs ?? Math.max(50, Math.min(Math.floor(claimIdleMs / 10), 5_000));
  const holdEveryMs = opts.holdEveryMs ?? Math.max(20, Math.floor(claimIdleMs / 3));
  const maxDeliveries = opts.maxDeliveries ?? 5;
  const forgetIdleMs = opts.forgetIdleConsumersMs ?? Math.max(10 * claimIdleMs, 3_600_000);
  const deadLetterStream = opts.deadLetterStream ?? `${opts.stream}:dead`;
  const startId = opts.startId ?? '0';
  const isTransient = opts.isTransient ?? isTransientError;
  const { stream, group, consumer } = opts;
  const log = opts.logger.child({ stream, group, consumer });

  const client = createClient({
    url: opts.redisUrl,
    // Fail fast while disconnected: the loop backs off itself, and stop() never waits on a queue.
    disableOfflineQueue: true,
    socket: { connectTimeout: 5_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000) },
  });

  let running = false;
  let stopping = false;
  let loopDone: Promise<void> | null = null;
  let everReady = false;
  let lastError: string | undefined;
  let lastErrorLogAt = 0;
  let lag: number | undefined;
  let pending: number | undefined;
  let acked = 0;
  let deadLettered = 0;
  let longestBatchMs = 0;
  let holdTouches = 0;

  let groupReady = false;
  // Own pending entries: re-read from '0' on start, after errors, and (with backoff) after failures.
  let drainOwn = true;
  let ownCursor = '0';
  let retryAt = 0;
  let retryAttempt = 0;
  let failuresInPass = false;
  let claimCursor = '0-0';
  let claimDueAt = 0;
  let lagDueAt = 0;
  // Deliveries of an entry that ended in a transient failure seen by this process: they prove nothing
  // against the entry, so they are subtracted from Redis's delivery count. Bounded by our pending list.
  const transientDeliveries = new Map<string, number>();
  const effective = (id: string, redisCount: number) => redisCount - (transientDeliveries.get(id) ?? 0);

  client.on('ready', () => {
    if (everReady) log.info('redis reconnected');
    everReady = true;
    // Acks may have been lost with the connection: look at our pending entries again.
    drainOwn = true;
    ownCursor = '0';
    retryAt = 0;
  });
  client.on('error', (err: unknown) => {
    lastError = errorText(err);
    const now = Date.now();
    if (now - lastErrorLogAt > 10_000) {
      lastErrorLogAt = now;
      log.warn({ err: lastError }, 'redis connection error; reconnecting with backoff');
    }
  });

  let wake: (() => void) | null = null;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        wake = null;
        resolve();
      };
    });

  function noteFailures() {
    // A pass over our pending entries is under way or already scheduled: it will see this one too.
    if (drainOwn) {
      if (ownCursor !== '0') failuresInPass = true;
      return;
    }
    drainOwn = true;
    ownCursor = '0';
    retryAt = Date.now() + Math.min(RETRY_BASE_MS * 2 ** retryAttempt, RETRY_MAX_MS);
    retryAttempt++;
  }

  async function ensureGroup() {
    try {
      await client.xGroupCreate(stream, group, startId, { MKSTREAM: true });
      log.info({ start_id: startId }, 'consumer group created');
    } catch (err) {
      if (!errorText(err).includes('BUSYGROUP')) throw err;
    }
    groupReady = true;
  }

  async function ack(ids: string[]) {
    if (ids.length === 0) return;
    await client.xAck(stream, group, ids);
    acked += ids.length;
    for (const id of ids) transientDeliveries.delete(id);
  }

  async function deliveryCounts(entries: RawEntry[]): Promise<Map<string, number>> {
    const first = entries[0];
    const last = entries[entries.length - 1];
    const counts = new Map<string, number>();
    if (!first || !last) return counts;
    const rows = await client.xPendingRange(stream, group, first.id, last.id, entries.length + batchSize, { consumer });
    for (const r of rows) counts.set(String(r.id), Number(r.deliveriesCounter));
    return counts;
  }

  async function deadLetter(entry: RawEntry, error: string, deliveries: number): Promise<void> {
    const deadLetterId = await client.xAdd(
      deadLetterStream,
      '*',
      {
        ...(entry.fields ?? {}),
        error,
        source_stream: stream,
        source_entry_id: entry.id,
        group,
        consumer,
        deliveries: String(deliveries),
        dead_lettered_at: new Date().toISOString(),
      },
      { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: DEAD_LETTER_MAXLEN } },
    );
    const dead: DeadLetter = { id: entry.id, fields: entry.fields, error, deliveries, deadLetterId, stream, deadLetterStream };
    if (opts.onDeadLetter) {
      try {
        await opts.onDeadLetter(dead, error);
      } catch (err) {
        log.error({ entry_id: entry.id, err: errorText(err) }, 'dead-letter hook failed; entry left pending');
        noteFailures();
        return;
      }
    }
    await ack([entry.id]);
    deadLettered++;
    transientDeliveries.delete(entry.id);
    log.error({ entry_id: entry.id, dead_letter_id: deadLetterId, deliveries, error }, 'stream entry dead-lettered');
  }

  /** Commits `entries` and acks them; on failure bisects to isolate the entries that fail alone. */
  async function commit(entries: StreamEntry[], failed: { entry: StreamEntry; err: unknown }[], settled: Set<string>): Promise<void> {
    try {
      await opts.handleBatch(entries);
    } catch (err) {
      if (isTransient(err)) throw new TransientBatchFailure(errorText(err), { cause: err });
      const [only] = entries;
      if (entries.length === 1 && only) {
        failed.push({ entry: only, err });
        return;
      }
      const mid = Math.ceil(entries.length / 2);
      await commit(entries.slice(0, mid), failed, settled);
      await commit(entries.slice(mid), failed, settled);
      return;
    }
    await ack(entries.map((e) => e.id));
    for (const e of entries) settled.add(e.id);
  }

  /**
   * Runs one batch while holding its entries: every holdEveryMs their idle time is reset, so a
   * batch slower than the claim idle (a slow database) is never mistaken for a dead consumer's.
   */
  async function processBatch(raw: RawEntry[], redelivered: boolean): Promise<void> {
    const first = raw[0];
    const last = raw[raw.length - 1];
    if (!first || !last) return;
    const startedAt = Date.now();
    let touching: Promise<void> | null = null;
    let warned = false;
    const touch = () => {
      // A handler that never returns keeps its batch: say so while it holds it, not only after.
      if (!warned && Date.now() - startedAt > claimIdleMs) {
        warned = true;
        log.warn({ batch_ms: Date.now() - startedAt, entries: raw.length, claim_idle_ms: claimIdleMs }, 'a stream batch is still in flight past the claim idle; holding its entries');
      }
      if (touching || !client.isReady) return;
      touching = client
        .eval(HOLD_SCRIPT, { keys: [stream], arguments: [group, consumer, first.id, last.id, String(raw.length + batchSize)] })
        .then((n) => {
          holdTouches += Number(n);
        })
        .catch((err: unknown) => log.warn({ err: errorText(err) }, 'could not hold the entries of the batch in flight'))
        .finally(() => (touching = null));
    };
    const holder = setInterval(touch, holdEveryMs);
    try {
      await processEntries(raw, redelivered);
    } finally {
      clearInterval(holder);
      await touching;
      const ms = Date.now() - startedAt;
      longestBatchMs = Math.max(longestBatchMs, ms);
      if (ms > claimIdleMs / 2) log.warn({ batch_ms: ms, entries: raw.length, claim_idle_ms: claimIdleMs }, 'a stream batch took more than half the claim idle; its entries were held');
    }
  }

  async function processEntries(raw: RawEntry[], redelivered: boolean): Promise<void> {
    // Entries deleted from the stream while pending have nothing left to process.
    await ack(raw.filter((e) => e.fields === null).map((e) => e.id));
    const live = raw.filter((e) => e.fields !== null);
    const counts = redelivered && live.length > 0 ? await deliveryCounts(live) : new Map<string, number>();
    const valid: StreamEntry[] = [];
    for (const e of live) {
      const n = effective(e.id, counts.get(e.id) ?? 1);
      // Delivered more often than allowed without an ack: a previous attempt crashed the process on it.
      if (n > maxDeliveries) {
        await deadLetter(e, `delivered ${n} times without being acknowledged`, n);
        continue;
      }
      const parsed = parseStreamEntry(e.fields);
      if (!parsed.ok) {
        await deadLetter(e, parsed.problems.join('; '), n);
        continue;
      }
      valid.push({ id: e.id, fields: e.fields ?? {}, event: parsed.event });
    }
    if (valid.length === 0) return;
    const failed: { entry: StreamEntry; err: unknown }[] = [];
    const settled = new Set<string>();
    try {
      await commit(valid, failed, settled);
    } catch (err) {
      if (err instanceof TransientBatchFailure) {
        const failedIds = new Set(failed.map((f) => f.entry.id));
        for (const e of valid) {
          if (!settled.has(e.id) && !failedIds.has(e.id)) transientDeliveries.set(e.id, (transientDeliveries.get(e.id) ?? 0) + 1);
        }
      }
      throw err;
    }
    for (const { entry, err } of failed) {
      const n = effective(entry.id, counts.get(entry.id) ?? 1);
      if (n >= maxDeliveries) {
        await deadLetter({ id: entry.id, fields: entry.fields }, errorText(err), n);
      } else {
        log.warn({ entry_id: entry.id, deliveries: n, err: errorText(err) }, 'stream entry failed; will retry');
        noteFailures();
      }
    }
  }

  async function drainOwnStep(): Promise<void> {
    const reply = await client.xReadGroup(group, consumer, { key: stream, id: ownCursor }, { COUNT: batchSize });
    const entries = entriesOfRead(reply);
    const last = entries[entries.length - 1];
    if (!last) {
      ownCursor = '0';
      if (failuresInPass) {
        failuresInPass = false;
        retryAt = Date.now() + Math.min(RETRY_BASE_MS * 2 ** retryAttempt, RETRY_MAX_MS);
        retryAttempt++;
      } else {
        drainOwn = false;
        retryAttempt = 0;
      }
      return;
    }
    ownCursor = last.id;
    await processBatch(entries, true);
  }

  async function claimStep(): Promise<void> {
    const reply = await client.xAutoClaim(stream, group, consumer, claimIdleMs, claimCursor, { COUNT: batchSize });
    const { nextId, entries } = entriesOfAutoClaim(reply);
    claimCursor = nextId;
    if (nextId === '0-0') {
      claimDueAt = Date.now() + claimEveryMs;
      await forgetIdleConsumers();
    }
    if (entries.length > 0) {
      log.info({ claimed: entries.length }, 'claimed entries idle on another consumer');
      await processBatch(entries, true);
    }
  }

  /** Safe even for a live consumer: with nothing pending, its next read simply re-creates it. */
  async function forgetIdleConsumers(): Promise<void> {
    const consumers: unknown = await client.xInfoConsumers(stream, group);
    if (!Array.isArray(consumers)) return;
    for (const c of consumers) {
      if (typeof c !== 'object' || c === null) continue;
      const { name, pending, idle } = c as { name?: unknown; pending?: unknown; idle?: unknown };
      if (typeof name !== 'string' || name === consumer || pending !== 0 || typeof idle !== 'number' || idle < forgetIdleMs) continue;
      await client.xGroupDelConsumer(stream, group, name);
      log.info({ forgotten: name, idle_ms: idle }, 'removed an idle consumer with nothing pending');
    }
  }

  async function refreshLag(): Promise<void> {
    lagDueAt = Date.now() + 1_000;
    const groups: unknown = await client.xInfoGroups(stream);
    if (!Array.isArray(groups)) return;
    for (const g of groups) {
      if (typeof g === 'object' && g !== null && (g as { name?: unknown }).name === group) {
        const { lag: l, pending: p } = g as { lag?: unknown; pending?: unknown };
        lag = typeof l === 'number' ? l : undefined;
        pending = typeof p === 'number' ? p : undefined;
      }
    }
  }

  async function loop(): Promise<void> {
    let errorBackoff = 0;
    while (!stopping) {
      if (!client.isReady) {
        if (!client.isOpen) client.connect().catch((err: unknown) => (lastError = errorText(err)));
        await pause(250);
        continue;
      }
      try {
        if (!groupReady) await ensureGroup();
        if (Date.now() >= lagDueAt) await refreshLag();
        if (drainOwn && Date.now() >= retryAt) {
          await drainOwnStep();
        } else if (Date.now() >= claimDueAt) {
          await claimStep();
        } else {
          const reply = await client.xReadGroup(group, consumer, { key: stream, id: '>' }, { COUNT: batchSize, BLOCK: blockMs });
          const entries = entriesOfRead(reply);
          if (entries.length > 0) await processBatch(entries, false);
        }
        errorBackoff = 0;
      } catch (err) {
        const text = errorText(err);
        lastError = text;
        if (text.includes('NOGROUP')) groupReady = false;
        // Whatever was in flight stays pending; read it again before anything new.
        drainOwn = true;
        ownCursor = '0';
        failuresInPass = false;
        retryAt = 0;
        errorBackoff = Math.min(Math.max(RETRY_BASE_MS, errorBackoff * 2), RETRY_MAX_MS);
        log.warn({ err: text, retry_in_ms: errorBackoff, transient: err instanceof TransientBatchFailure }, 'stream consumer error; backing off');
        if (!stopping) await pause(errorBackoff);
      }
    }
  }

  return {
    async start() {
      if (running) return;
      running = true;
      stopping = false;
      try {
        // node-redis keeps retrying a first connection forever: wait a bounded time, then let the loop wait.
        const connecting = client.connect().then(
          () => true,
          (err: unknown) => {
            lastError = errorText(err);
            return false;
          },
        );
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 5_000)));
        const connected = await Promise.race([connecting, timeout]);
        clearTimeout(timer);
        if (!connected) throw new Error(lastError ?? 'redis connection timed out');
        await ensureGroup();
      } catch (err) {
        lastError = errorText(err);
        log.warn({ err: lastError }, 'redis not reachable at start; will keep trying');
      }
      log.info({ batch_size: batchSize, claim_idle_ms: claimIdleMs, claim_every_ms: claimEveryMs, max_deliveries: maxDeliveries, dead_letter_stream: deadLetterStream }, 'stream consumer started');
      loopDone = loop().finally(() => {
        running = false;
      });
    },
    async stop() {
      if (!loopDone) return;
      stopping = true;
      wake?.();
      await loopDone;
      loopDone = null;
      if (client.isOpen) {
        if (client.isReady) await client.close().catch(() => client.destroy());
        else client.destroy();
      }
      log.info({ acked, dead_lettered: deadLettered }, 'stream consumer stopped');
    },
    status() {
      return {
        connected: client.isReady,
        running,
        ...(lag !== undefined ? { lag } : {}),
        ...(pending !== undefined ? { pending } : {}),
        ...(lastError !== undefined ? { lastError } : {}),
        acked,
        deadLettered,
        longestBatchMs,
        holdTouches,
      };
    },
  };
}
