import { createClient } from 'redis';
import { wakeable } from '../clock.js';
import { ensureGroup, runLoop } from './stream/loop.js';
import { contextOf, errorText, type ConsumerContext } from './stream/state.js';
import { takeOverConsumer } from './stream/takeover.js';
import type { StreamConsumer, StreamConsumerOptions } from './stream/types.js';

export { parseStreamEntry, type StreamEntryParse } from './stream/parse-entry.js';
export { isTransientError } from './stream/transient.js';
export type { DeadLetter, StreamConsumer, StreamConsumerOptions, StreamConsumerStatus, StreamEntry } from './stream/types.js';

const CONNECT_WAIT_MS = 5_000;

/**
 * A Redis Stream consumer-group member. At most two batches taken and not acknowledged
 * (back-pressure: while one commits, the next is read and parsed beside it, and starts once the
 * handler has fixed the first one's order); XACK only after `handleBatch` resolved; poison entries
 * isolated by bisection and, after `maxDeliveries`, moved to the dead-letter stream.
 *
 * The parts live in ./stream/: the state (state.ts), the loop and its reads (loop.ts), the batch
 * read ahead (read-ahead.ts), a batch's delivery (delivery.ts), holding a batch in flight (hold.ts)
 * and the dead letters (dead-letter.ts).
 */
export function createStreamConsumer(opts: StreamConsumerOptions): StreamConsumer {
  const client = createClient({
    url: opts.redisUrl,
    // Fail fast while disconnected: the loop backs off itself, and stop() never waits on a queue.
    disableOfflineQueue: true,
    socket: { connectTimeout: 5_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000) },
  });
  const ctx = contextOf(opts, client);
  const { state, log, clock } = ctx;
  watchConnection(ctx);
  const pauses = wakeable(clock);
  let loopDone: Promise<void> | null = null;
  // The takeover's own connection: the loop's blocks in XREADGROUP, and a takeover must not wait behind it.
  const side = client.duplicate();
  side.on('error', () => {});
  const sideReady = async () => {
    if (!side.isOpen) await side.connect();
    return side;
  };

  return {
    async start() {
      if (state.running) return;
      state.running = true;
      state.stopping = false;
      try {
        if (!(await connectWithin(ctx, CONNECT_WAIT_MS))) throw new Error(state.lastError ?? 'redis connection timed out');
        await ensureGroup(ctx);
      } catch (err) {
        state.lastError = errorText(err);
        log.warn({ err: state.lastError }, 'redis not reachable at start; will keep trying');
      }
      const { batchSize, claimIdleMs, claimEveryMs, maxDeliveries, deadLetterStream } = ctx.settings;
      log.info({ batch_size: batchSize, claim_idle_ms: claimIdleMs, claim_every_ms: claimEveryMs, max_deliveries: maxDeliveries, dead_letter_stream: deadLetterStream }, 'stream consumer started');
      loopDone = runLoop(ctx, (ms) => pauses.sleep(ms)).finally(() => {
        state.running = false;
      });
    },
    async stop() {
      if (!loopDone) return;
      state.stopping = true;
      pauses.wake();
      await loopDone;
      loopDone = null;
      for (const c of [client, side]) {
        if (!c.isOpen) continue;
        if (c.isReady) await c.close().catch(() => c.destroy());
        else c.destroy();
      }
      log.info({ acked: state.acked, dead_lettered: state.deadLettered }, 'stream consumer stopped');
    },
    status: () => state.status(client.isReady),
    async takeOver(gone, heartbeatKey) {
      const r = await takeOverConsumer(ctx, await sideReady(), gone, heartbeatKey);
      if (r.claimed > 0) pauses.wake();
      return r;
    },
    rereadOwn() {
      state.rereadOwn();
      pauses.wake();
    },
  };
}

function watchConnection(ctx: ConsumerContext): void {
  const { client, state, log, clock } = ctx;
  client.on('ready', () => {
    if (state.everReady) log.info('redis reconnected');
    state.everReady = true;
    // Acks may have been lost with the connection: look at our pending entries again.
    state.rereadOwn();
  });
  client.on('error', (err: unknown) => {
    state.lastError = errorText(err);
    const now = clock.nowMs();
    if (now - state.lastErrorLogAt > 10_000) {
      state.lastErrorLogAt = now;
      log.warn({ err: state.lastError }, 'redis connection error; reconnecting with backoff');
    }
  });
}

/** node-redis keeps retrying a first connection forever: wait a bounded time, then let the loop wait. */
async function connectWithin(ctx: ConsumerContext, ms: number): Promise<boolean> {
  const connecting = ctx.client.connect().then(
    () => true,
    (err: unknown) => {
      ctx.state.lastError = errorText(err);
      return false;
    },
  );
  let timer: { cancel(): void } | undefined;
  const timeout = new Promise<false>((resolve) => (timer = ctx.clock.after(ms, () => resolve(false))));
  const connected = await Promise.race([connecting, timeout]);
  timer?.cancel();
  return connected;
}
