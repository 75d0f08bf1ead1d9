import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { PlatformEvent } from '../../domain/events.js';

/** One parsed entry handed to `handleBatch`. */
export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
  event: PlatformEvent;
}

/** What a handler may tell the consumer while a batch is in flight. */
export interface BatchProgress {
  /** The batch's order against later batches is fixed: the next may start beside it. */
  ordered(): void;
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
  /**
   * Commits the whole batch (one transaction) and returns after the commit; the batch is acked only
   * then. A handler that calls `batch.ordered()` once nothing of a later batch can be stored ahead
   * of this one (ingest: its per-key locks are held) lets the consumer start the next batch beside
   * it, which then waits in the database, not in Node; one that never calls it runs alone.
   */
  handleBatch: (entries: StreamEntry[], batch: BatchProgress) => Promise<void>;
  logger: Logger;
  /** Every pause, hold, deadline and timestamp of the consumer; default the system clock. */
  clock?: Clock;
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
  /**
   * A `handleBatch` call that has not returned after this long is given up (SRE_STREAM_HANDLER_TIMEOUT,
   * default 60 s): its entries are no longer held, so a peer's claim (or, with no peer, this
   * consumer's own, after one claim idle) takes them again. The store is idempotent by event id, so
   * a late return of the abandoned call writes nothing twice.
   */
  handlerTimeoutMs?: number;
  /** Called with the entry ids of a batch whose handler passed its deadline (a metric). */
  onHandlerTimeout?: (entryIds: string[]) => void;
  /** Called with how many entries a claim pass took because they sat idle past the claim idle on another consumer (a metric). */
  onIdleClaim?: (entries: number) => void;
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
  /** `handleBatch` calls given up at their deadline. */
  handlerTimeouts: number;
}

export interface StreamConsumer {
  start(): Promise<void>;
  /** Stops reading, finishes the batches in flight, and leaves unacknowledged entries (a batch read ahead among them) pending. */
  stop(): Promise<void>;
  status(): StreamConsumerStatus;
  /**
   * Takes over a consumer whose heartbeat is gone (jobs/takeover.ts): its pending entries are
   * claimed for this one at once, and it is removed from the group once nothing is pending on it.
   * Does nothing while `heartbeatKey` exists (it came back).
   */
  takeOver(gone: string, heartbeatKey: string): Promise<{ claimed: number; removed: boolean }>;
  /** This replica's heartbeat had lapsed: read its own pending entries again (what a peer claimed is no longer among them). */
  rereadOwn(): void;
}
