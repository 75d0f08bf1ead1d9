import type { Logger } from 'pino';
import type { createClient } from 'redis';
import { systemClock, type Clock } from '../../clock.js';
import { isTransientError } from './transient.js';
import type { BatchProgress, DeadLetter, StreamConsumerOptions, StreamConsumerStatus, StreamEntry } from './types.js';

export type RedisClient = ReturnType<typeof createClient>;

const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 5_000;

/** The doubling pause after a failure: from 200 ms up to 5 s. */
export function backoffMs(previous: number): number {
  return Math.min(Math.max(RETRY_BASE_MS, previous * 2), RETRY_MAX_MS);
}

/** The options with their defaults filled in; fixed for the consumer's life. */
export interface Settings {
  stream: string;
  group: string;
  consumer: string;
  batchSize: number;
  blockMs: number;
  claimIdleMs: number;
  claimEveryMs: number;
  holdEveryMs: number;
  maxDeliveries: number;
  forgetIdleMs: number;
  deadLetterStream: string;
  startId: string;
  handlerTimeoutMs: number;
}

export function settingsOf(opts: StreamConsumerOptions): Settings {
  const claimIdleMs = opts.claimIdleMs ?? 15_000;
  return {
    stream: opts.stream,
    group: opts.group,
    consumer: opts.consumer,
    batchSize: opts.batchSize ?? 500,
    blockMs: opts.blockMs ?? 1000,
    claimIdleMs,
    claimEveryMs: opts.claimEveryMs ?? Math.max(50, Math.min(Math.floor(claimIdleMs / 10), 5_000)),
    holdEveryMs: opts.holdEveryMs ?? Math.max(20, Math.floor(claimIdleMs / 3)),
    maxDeliveries: opts.maxDeliveries ?? 5,
    forgetIdleMs: opts.forgetIdleConsumersMs ?? Math.max(10 * claimIdleMs, 3_600_000),
    deadLetterStream: opts.deadLetterStream ?? `${opts.stream}:dead`,
    startId: opts.startId ?? '0',
    handlerTimeoutMs: opts.handlerTimeoutMs ?? 60_000,
  };
}

/**
 * Everything the consumer remembers between steps: its figures, where it is in its own pending
 * entries and in the claim scan, and what it has learnt about entries' deliveries. One object,
 * changed only through the steps that own each part (delivery, hold, dead-letter, the loop).
 */
export class ConsumerState {
  running = false;
  stopping = false;
  everReady = false;
  groupReady = false;
  lastError: string | undefined;
  lastErrorLogAt = 0;
  lag: number | undefined;
  pending: number | undefined;
  acked = 0;
  deadLettered = 0;
  longestBatchMs = 0;
  holdTouches = 0;
  handlerTimeouts = 0;

  // Own pending entries: re-read from '0' on start, after errors, and (with backoff) after failures.
  drainOwn = true;
  ownCursor = '0';
  retryAt = 0;
  private retryAttempt = 0;
  private failuresInPass = false;
  /** Moved by every reread of our own entries: a batch read ahead before it is no longer ours to trust. */
  rereadGeneration = 0;
  claimCursor = '0-0';
  claimDueAt = 0;
  lagDueAt = 0;
  /**
   * Deliveries of an entry that ended in a transient failure seen by this process: they prove
   * nothing against the entry, so they are subtracted from Redis's delivery count. Bounded by our
   * pending list.
   */
  readonly transientDeliveries = new Map<string, number>();
  /**
   * Entries whose handler passed its deadline, until when this consumer leaves them for a peer:
   * its own pass over its pending entries skips them, and its claim waits until then.
   */
  private readonly abandoned = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** Redis's delivery count of an entry less the deliveries that failed transiently here. */
  effective(id: string, redisCount: number): number {
    return redisCount - (this.transientDeliveries.get(id) ?? 0);
  }

  countTransientDelivery(id: string): void {
    this.transientDeliveries.set(id, (this.transientDeliveries.get(id) ?? 0) + 1);
  }

  /** Read our pending entries again from the start, at once: acks may have been lost. */
  rereadOwn(): void {
    this.rereadGeneration++;
    this.drainOwn = true;
    this.ownCursor = '0';
    this.retryAt = 0;
  }

  /** After an error in the loop: whatever was in flight stays pending; read it again before anything new. */
  rereadOwnAfterError(): void {
    this.rereadOwn();
    this.failuresInPass = false;
  }

  /** An entry failed and will be retried: a pass over our pending entries, after a backoff. */
  noteFailures(): void {
    // A pass over our pending entries is under way or already scheduled: it will see this one too.
    if (this.drainOwn) {
      if (this.ownCursor !== '0') this.failuresInPass = true;
      return;
    }
    this.drainOwn = true;
    this.ownCursor = '0';
    this.scheduleRetry();
  }

  /** A pass over our pending entries read nothing more: done, or (after failures in it) again after a backoff. */
  endOwnPass(): void {
    this.ownCursor = '0';
    if (this.failuresInPass) {
      this.failuresInPass = false;
      this.scheduleRetry();
    } else {
      this.drainOwn = false;
      this.retryAttempt = 0;
    }
  }

  /** Leaves `ids` to a peer for `graceMs`: no own pass handles them and our claim waits meanwhile. */
  abandon(ids: string[], graceMs: number): void {
    const until = this.clock.nowMs() + graceMs;
    for (const id of ids) this.abandoned.set(id, until);
    this.claimDueAt = Math.max(this.claimDueAt, until);
  }

  /** Whether an entry is still left for a peer (forgotten once its grace is over). */
  isAbandoned(id: string): boolean {
    const until = this.abandoned.get(id);
    if (until === undefined) return false;
    if (this.clock.nowMs() < until) return true;
    this.abandoned.delete(id);
    return false;
  }

  /** Whether the claim pass is due; it waits while entries are left for a peer (it would take them back). */
  claimDue(): boolean {
    for (const id of [...this.abandoned.keys()]) this.isAbandoned(id);
    return this.clock.nowMs() >= this.claimDueAt;
  }

  private scheduleRetry(): void {
    this.retryAt = this.clock.nowMs() + Math.min(RETRY_BASE_MS * 2 ** this.retryAttempt, RETRY_MAX_MS);
    this.retryAttempt++;
  }

  status(connected: boolean): StreamConsumerStatus {
    return {
      connected,
      running: this.running,
      ...(this.lag !== undefined ? { lag: this.lag } : {}),
      ...(this.pending !== undefined ? { pending: this.pending } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      acked: this.acked,
      deadLettered: this.deadLettered,
      longestBatchMs: this.longestBatchMs,
      holdTouches: this.holdTouches,
      handlerTimeouts: this.handlerTimeouts,
    };
  }
}

/** What every step is handed: the fixed settings, the one state, the connection and the hooks. */
export interface ConsumerContext {
  settings: Settings;
  state: ConsumerState;
  client: RedisClient;
  clock: Clock;
  log: Logger;
  handleBatch: (entries: StreamEntry[], batch: BatchProgress) => Promise<void>;
  onDeadLetter: ((entry: DeadLetter, error: string) => Promise<void>) | undefined;
  onHandlerTimeout: ((entryIds: string[]) => void) | undefined;
  onIdleClaim: ((entries: number) => void) | undefined;
  isTransient: (err: unknown) => boolean;
}

export function contextOf(opts: StreamConsumerOptions, client: RedisClient): ConsumerContext {
  const settings = settingsOf(opts);
  const clock = opts.clock ?? systemClock;
  const { stream, group, consumer } = settings;
  return {
    settings,
    state: new ConsumerState(clock),
    client,
    clock,
    log: opts.logger.child({ stream, group, consumer }),
    handleBatch: opts.handleBatch,
    onDeadLetter: opts.onDeadLetter,
    onHandlerTimeout: opts.onHandlerTimeout,
    onIdleClaim: opts.onIdleClaim,
    isTransient: opts.isTransient ?? isTransientError,
  };
}

export function errorText(err: unknown): string {
  // A failed statement is wrapped as "Failed query: <SQL> params: <the whole batch>": the
  // database's own message, its cause, is what a dead letter and a log line need.
  let e = err;
  while (e instanceof Error && e.message.startsWith('Failed query') && e.cause instanceof Error) e = e.cause;
  const msg = e instanceof Error ? e.message : String(e);
  return msg.length > 2000 ? `${msg.slice(0, 2000)}…` : msg;
}

/** Acknowledges entries that are done with (committed, dead-lettered, or deleted from the stream). */
export async function ack(ctx: ConsumerContext, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const { stream, group } = ctx.settings;
  await ctx.client.xAck(stream, group, ids);
  ctx.state.acked += ids.length;
  for (const id of ids) ctx.state.transientDeliveries.delete(id);
}
