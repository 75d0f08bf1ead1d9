import { processBatch, TransientBatchFailure } from './delivery.js';
import { entriesOfAutoClaim, entriesOfRead } from './redis-reply.js';
import { backoffMs, errorText, type ConsumerContext } from './state.js';

/**
 * The consumer's one loop: one step at a time, one batch in flight (back-pressure: nothing is
 * read while a batch is being committed). Each pass does the first of: our own pending entries
 * (after a start, a reconnect, an error or a failure), the claim of a dead peer's entries (every
 * claimEveryMs), or a blocking read of new entries.
 */
export async function runLoop(ctx: ConsumerContext, pause: (ms: number) => Promise<void>): Promise<void> {
  const { client, state } = ctx;
  let errorBackoff = 0;
  while (!state.stopping) {
    if (!client.isReady) {
      if (!client.isOpen) client.connect().catch((err: unknown) => (state.lastError = errorText(err)));
      await pause(250);
      continue;
    }
    try {
      await step(ctx);
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

async function step(ctx: ConsumerContext): Promise<void> {
  const { state, clock, settings } = ctx;
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
    if (entries.length > 0) await processBatch(ctx, entries, false);
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
