import { deadLetter } from './dead-letter.js';
import type { TimerHandle } from '../../clock.js';
import { holdWhileWorking, letGo } from './hold.js';
import { parseStreamEntry } from './parse-entry.js';
import type { RawEntry } from './redis-reply.js';
import { ack, errorText, type ConsumerContext } from './state.js';
import type { StreamEntry } from './types.js';

/** Thrown inside the loop so a transient failure backs off before anything else is read. */
export class TransientBatchFailure extends Error {}

/** A `handleBatch` call that passed its deadline: its batch is given up, not bisected. */
class HandlerTimeout extends Error {}

type Failed = { entry: StreamEntry; err: unknown }[];

/** Told when the handler has fixed the batch's order against later ones (BatchProgress.ordered). */
type Ordered = () => void;
const alone: Ordered = () => {};

/**
 * Runs one batch while holding its entries (hold.ts), and records how long it was in flight: a
 * batch slower than half the claim idle is worth a warning.
 */
export async function processBatch(ctx: ConsumerContext, raw: RawEntry[], redelivered: boolean, ordered: Ordered = alone): Promise<void> {
  if (raw.length === 0) return;
  const { claimIdleMs } = ctx.settings;
  const startedAt = ctx.clock.nowMs();
  const hold = holdWhileWorking(ctx, raw, startedAt);
  let abandoned: string[] = [];
  try {
    abandoned = await processEntries(ctx, raw, redelivered, ordered);
  } finally {
    await hold.release();
    const ms = ctx.clock.nowMs() - startedAt;
    ctx.state.longestBatchMs = Math.max(ctx.state.longestBatchMs, ms);
    if (ms > claimIdleMs / 2) ctx.log.warn({ batch_ms: ms, entries: raw.length, claim_idle_ms: claimIdleMs }, 'a stream batch took more than half the claim idle; its entries were held');
  }
  // After the hold is released, so no touch under way resets the idle time set here.
  if (abandoned.length > 0) await giveUp(ctx, raw, abandoned);
}

/**
 * The handler of a batch passed its deadline (a handler that never returns): the consumer stops
 * holding the entries it did not settle and lets them go, so a peer's claim pass takes them (or,
 * with no peer, its own after one claim idle). The abandoned call may still return and commit: the
 * store is idempotent by event id, so the second write stores nothing twice.
 */
async function giveUp(ctx: ConsumerContext, raw: RawEntry[], ids: string[]): Promise<void> {
  const { handlerTimeoutMs, claimIdleMs } = ctx.settings;
  ctx.state.handlerTimeouts++;
  ctx.state.abandon(ids, claimIdleMs);
  ctx.log.error({ entry_ids: ids, entries: ids.length, handler_timeout_ms: handlerTimeoutMs }, 'a stream handler did not return within its deadline; its entries are let go for a peer to claim');
  try {
    ctx.onHandlerTimeout?.(ids);
  } catch (err) {
    ctx.log.warn({ err: errorText(err) }, 'handler-timeout hook failed');
  }
  try {
    await letGo(ctx, raw, ids);
  } catch (err) {
    // Not held any more, they turn idle on their own within one claim idle.
    ctx.log.warn({ err: errorText(err) }, 'could not let go of the entries of a timed-out handler; they are claimable after the claim idle');
  }
}

/** Handles a batch; resolves with the ids given up because the handler passed its deadline. */
async function processEntries(ctx: ConsumerContext, raw: RawEntry[], redelivered: boolean, ordered: Ordered): Promise<string[]> {
  // Entries deleted from the stream while pending have nothing left to process.
  await ack(ctx, raw.filter((e) => e.fields === null).map((e) => e.id));
  const live = raw.filter((e) => e.fields !== null);
  const counts = redelivered && live.length > 0 ? await deliveryCounts(ctx, live) : new Map<string, number>();
  const valid = await admit(ctx, live, counts);
  if (valid.length === 0) return [];
  const failed: Failed = [];
  const settled = new Set<string>();
  // Neither committed nor failed alone: what a transient failure or the deadline cut short.
  const unsettled = () => {
    const failedIds = new Set(failed.map((f) => f.entry.id));
    return valid.filter((e) => !settled.has(e.id) && !failedIds.has(e.id)).map((e) => e.id);
  };
  let abandoned: string[] = [];
  try {
    await commit(ctx, valid, failed, settled, ordered);
  } catch (err) {
    if (!(err instanceof HandlerTimeout)) {
      if (err instanceof TransientBatchFailure) for (const id of unsettled()) ctx.state.countTransientDelivery(id);
      throw err;
    }
    abandoned = unsettled();
  }
  await settleFailures(ctx, failed, counts);
  return abandoned;
}

/** The entries worth handing to `handleBatch`; those delivered too often or unreadable go to the dead letters. */
async function admit(ctx: ConsumerContext, live: RawEntry[], counts: Map<string, number>): Promise<StreamEntry[]> {
  const valid: StreamEntry[] = [];
  for (const e of live) {
    const n = ctx.state.effective(e.id, counts.get(e.id) ?? 1);
    // Delivered more often than allowed without an ack: a previous attempt crashed the process on it.
    if (n > ctx.settings.maxDeliveries) {
      await deadLetter(ctx, e, `delivered ${n} times without being acknowledged`, n);
      continue;
    }
    const parsed = e.parsed ?? parseStreamEntry(e.fields);
    if (!parsed.ok) {
      await deadLetter(ctx, e, parsed.problems.join('; '), n);
      continue;
    }
    valid.push({ id: e.id, fields: e.fields ?? {}, event: parsed.event });
  }
  return valid;
}

/** Entries that failed alone: dead-lettered at the last delivery allowed, otherwise retried after a backoff. */
async function settleFailures(ctx: ConsumerContext, failed: Failed, counts: Map<string, number>): Promise<void> {
  for (const { entry, err } of failed) {
    const n = ctx.state.effective(entry.id, counts.get(entry.id) ?? 1);
    if (n >= ctx.settings.maxDeliveries) {
      await deadLetter(ctx, { id: entry.id, fields: entry.fields }, errorText(err), n);
    } else {
      ctx.log.warn({ entry_id: entry.id, deliveries: n, err: errorText(err) }, 'stream entry failed; will retry');
      ctx.state.noteFailures();
    }
  }
}

/** Commits `entries` and acks them; on failure bisects to isolate the entries that fail alone. */
async function commit(ctx: ConsumerContext, entries: StreamEntry[], failed: Failed, settled: Set<string>, ordered: Ordered): Promise<void> {
  try {
    await callWithDeadline(ctx, entries, ordered);
  } catch (err) {
    if (err instanceof HandlerTimeout) throw err;
    if (ctx.isTransient(err)) throw new TransientBatchFailure(errorText(err), { cause: err });
    const [only] = entries;
    if (entries.length === 1 && only) {
      failed.push({ entry: only, err });
      return;
    }
    const mid = Math.ceil(entries.length / 2);
    await commit(ctx, entries.slice(0, mid), failed, settled, ordered);
    await commit(ctx, entries.slice(mid), failed, settled, ordered);
    return;
  }
  await ack(ctx, entries.map((e) => e.id));
  for (const e of entries) settled.add(e.id);
}

/** `handleBatch`, given up (HandlerTimeout) when it has not returned within handlerTimeoutMs of the consumer's clock. */
async function callWithDeadline(ctx: ConsumerContext, entries: StreamEntry[], ordered: Ordered): Promise<void> {
  const { handlerTimeoutMs } = ctx.settings;
  let timer: TimerHandle | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = ctx.clock.after(handlerTimeoutMs, () => reject(new HandlerTimeout(`the stream handler did not return within ${handlerTimeoutMs} ms`)));
  });
  try {
    // The race observes a late rejection of the abandoned call, so it is never an unhandled one.
    await Promise.race([ctx.handleBatch(entries, { ordered }), deadline]);
  } finally {
    timer?.cancel();
  }
}

async function deliveryCounts(ctx: ConsumerContext, entries: RawEntry[]): Promise<Map<string, number>> {
  const first = entries[0];
  const last = entries[entries.length - 1];
  const counts = new Map<string, number>();
  if (!first || !last) return counts;
  const { stream, group, consumer, batchSize } = ctx.settings;
  const rows = await ctx.client.xPendingRange(stream, group, first.id, last.id, entries.length + batchSize, { consumer });
  for (const r of rows) counts.set(String(r.id), Number(r.deliveriesCounter));
  return counts;
}
