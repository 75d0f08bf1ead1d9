import { processBatch, TransientBatchFailure } from './delivery.js';
import { readAhead, type ReadAhead } from './read-ahead.js';
import { entriesOfAutoClaim, entriesOfRead, type RawEntry } from './redis-reply.js';
import { backoffMs, errorText, type ConsumerContext } from './state.js';

/**
 * The consumer's one loop: one step at a time, one batch committing (back-pressure: at most one
 * more is read, ahead, while it commits). Each pass does the first of: the batch read ahead, our
 * own pending entries (after a start, a reconnect, an error or a failure), the claim of a dead
 * peer's entries (every claimEveryMs), or a blocking read of new entries.
 */
export async function runLoop(ctx: ConsumerContext, pause: (ms: number) => Promise<void>): Promise<void> {
  const ahead: Ahead = { next: null };
  try {
    await loopUntilStopped(ctx, pause, ahead);
  } finally {
    // Stopping: a batch read ahead stays pending, as unacknowledged entries do (for a peer's takeover or our restart).
    await ahead.next?.hold.release();
  }
}

/** The batch read ahead of the one committing, between steps. */
interface Ahead {
  next: ReadAhead | null;
}

async function loopUntilStopped(ctx: ConsumerContext, pause: (ms: number) => Promise<void>, ahead: Ahead): Promise<void> {
  const { client, state } = ctx;
  let errorBackoff = 0;
  while (!state.stopping) {
    if (!client.isReady) {
      if (!client.isOpen) client.connect().catch((err: unknown) => (state.lastError = errorText(err)));
      await pause(250);
      continue;
    }
    try {
      await step(ctx, ahead);
      errorBackoff = 0;
    } catch (err) {
      const text = errorText(err);
      state.lastError = text;
      if (text.includes('NOGROUP')) state.groupReady = false;
      state.rereadOwnAfterError();
      errorBackoff = backoffMs(errorBackoff);
      ctx.log.warn({ err: text, retry_in_ms: errorBackoff, transient: err instanceof TransientBatchFailure }, 'stream consumer error; backing off');
      if (!state.stopping) await pause(errorBackoff);
    }
  }
}

async function step(ctx: ConsumerContext, ahead: Ahead): Promise<void> {
  const { state, clock, settings } = ctx;
  const next = ahead.next;
  ahead.next = null;
  if (next) {
    await next.hold.release();
    if (stillOurs(ctx, next)) return processBatch(ctx, next.entries, false);
  }
  if (!state.groupReady) await ensureGroup(ctx);
  if (clock.nowMs() >= state.lagDueAt) await refreshLag(ctx);
  if (state.drainOwn && clock.nowMs() >= state.retryAt) {
    await drainOwnStep(ctx);
  } else if (state.claimDue()) {
    await claimStep(ctx);
  } else {
    const { group, consumer, stream, batchSize, blockMs } = settings;
    const reply = await ctx.client.xReadGroup(group, consumer, { key: stream, id: '>' }, { COUNT: batchSize, BLOCK: blockMs });
    const entries = entriesOfRead(reply);
    if (entries.length > 0) await processReadingAhead(ctx, entries, ahead);
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; err: unknown };
/** Observed at once, so a failure while another batch is awaited is never an unhandled rejection. */
const outcome = <T>(p: Promise<T>): Promise<Outcome<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
const NOTHING: Promise<Outcome<null>> = Promise.resolve({ ok: true, value: null });

/**
 * Whether a batch read ahead may be handled as read: not when a reread of our own entries was
 * asked for since (a lapsed heartbeat, whose entries a peer may have taken over; an error), as
 * that pass reads again whatever of it is still ours.
 */
function stillOurs(ctx: ConsumerContext, read: ReadAhead): boolean {
  return read.generation === ctx.state.rereadGeneration;
}

/** Another step is due (our own entries, the claim, the lag): the batches in hand go one at a time until it has run. */
function otherStepDue(ctx: ConsumerContext): boolean {
  const { state, clock } = ctx;
  const now = clock.nowMs();
  return (state.drainOwn && now >= state.retryAt) || state.claimDue() || now >= state.lagDueAt || !state.groupReady;
}

/**
 * New entries, batch after batch, each overlapping the one before: while a batch commits, the next
 * is read and parsed (read-ahead.ts), and once the handler has fixed the batch's order
 * (`BatchProgress.ordered`, ingest: its per-key locks held) the next starts beside it, its locks
 * waiting in PostgreSQL for this commit rather than its whole transaction waiting in Node. Never
 * more than two batches taken and not acknowledged: the next read goes out only once the batch
 * before has finished. A failure (or a reread of our own entries asked for meanwhile) ends the run
 * with both batches settled; what was read ahead is left pending for the pass over our own entries.
 */
async function processReadingAhead(ctx: ConsumerContext, first: RawEntry[], ahead: Ahead): Promise<void> {
  let entries = first;
  let previous: Promise<Outcome<void>> | null = null;
  for (;;) {
    let fire = () => {};
    const ordered = new Promise<void>((resolve) => (fire = resolve));
    const running = outcome(processBatch(ctx, entries, false, fire));
    const before = previous ? await previous : null;
    const reading = before?.ok === false || ctx.state.stopping ? NOTHING : outcome(readAhead(ctx));
    // The batch's order fixed, or the batch done (one whose handler never says so runs alone).
    const finished = await Promise.race([ordered.then(() => null), running]);
    const next = await reading;
    const read = next.ok ? next.value : null;
    const usable = read !== null && stillOurs(ctx, read) && !ctx.state.stopping;
    if (read && !usable) await read.hold.release();
    if (before?.ok === false || finished?.ok === false || !next.ok || !usable || otherStepDue(ctx)) {
      const done = await running;
      const failed = before?.ok === false ? before : !done.ok ? done : !next.ok ? next : null;
      if (failed) {
        // Left pending for the pass over our own entries after the error, and no longer held.
        if (usable) await read.hold.release();
        throw failed.err;
      }
      // Kept for the next step, which handles it alone after whatever else was due.
      if (usable) ahead.next = read;
      return;
    }
    await read.hold.release();
    previous = running;
    entries = read.entries;
  }
}

export async function ensureGroup(ctx: ConsumerContext): Promise<void> {
  const { stream, group, startId } = ctx.settings;
  try {
    await ctx.client.xGroupCreate(stream, group, startId, { MKSTREAM: true });
    ctx.log.info({ start_id: startId }, 'consumer group created');
  } catch (err) {
    if (!errorText(err).includes('BUSYGROUP')) throw err;
  }
  ctx.state.groupReady = true;
}

async function drainOwnStep(ctx: ConsumerContext): Promise<void> {
  const { group, consumer, stream, batchSize } = ctx.settings;
  const reply = await ctx.client.xReadGroup(group, consumer, { key: stream, id: ctx.state.ownCursor }, { COUNT: batchSize });
  const entries = entriesOfRead(reply);
  const last = entries[entries.length - 1];
  if (!last) {
    ctx.state.endOwnPass();
    return;
  }
  ctx.state.ownCursor = last.id;
  // Entries given up at a handler's deadline are left to a peer's claim for a while.
  const mine = entries.filter((e) => !ctx.state.isAbandoned(e.id));
  if (mine.length > 0) await processBatch(ctx, mine, true);
}

async function claimStep(ctx: ConsumerContext): Promise<void> {
  const { group, consumer, stream, batchSize, claimIdleMs, claimEveryMs } = ctx.settings;
  const reply = await ctx.client.xAutoClaim(stream, group, consumer, claimIdleMs, ctx.state.claimCursor, { COUNT: batchSize });
  const { nextId, entries } = entriesOfAutoClaim(reply);
  ctx.state.claimCursor = nextId;
  if (nextId === '0-0') {
    ctx.state.claimDueAt = ctx.clock.nowMs() + claimEveryMs;
    await forgetIdleConsumers(ctx);
  }
  if (entries.length > 0) {
    ctx.log.info({ claimed: entries.length }, 'claimed entries idle on another consumer');
    ctx.onIdleClaim?.(entries.length);
    await processBatch(ctx, entries, true);
  }
}

/** Safe even for a live consumer: with nothing pending, its next read simply re-creates it. */
async function forgetIdleConsumers(ctx: ConsumerContext): Promise<void> {
  const { group, consumer, stream, forgetIdleMs } = ctx.settings;
  const consumers: unknown = await ctx.client.xInfoConsumers(stream, group);
  if (!Array.isArray(consumers)) return;
  for (const c of consumers) {
    if (typeof c !== 'object' || c === null) continue;
    const { name, pending, idle } = c as { name?: unknown; pending?: unknown; idle?: unknown };
    if (typeof name !== 'string' || name === consumer || pending !== 0 || typeof idle !== 'number' || idle < forgetIdleMs) continue;
    await ctx.client.xGroupDelConsumer(stream, group, name);
    ctx.log.info({ forgotten: name, idle_ms: idle }, 'removed an idle consumer with nothing pending');
  }
}

async function refreshLag(ctx: ConsumerContext): Promise<void> {
  const { state, settings } = ctx;
  state.lagDueAt = ctx.clock.nowMs() + 1_000;
  const groups: unknown = await ctx.client.xInfoGroups(settings.stream);
  if (!Array.isArray(groups)) return;
  for (const g of groups) {
    if (typeof g === 'object' && g !== null && (g as { name?: unknown }).name === settings.group) {
      const { lag: l, pending: p } = g as { lag?: unknown; pending?: unknown };
      state.lag = typeof l === 'number' ? l : undefined;
      state.pending = typeof p === 'number' ? p : undefined;
    }
  }
}
