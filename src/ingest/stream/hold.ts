import type { RawEntry } from './redis-reply.js';
import { errorText, type ConsumerContext } from './state.js';

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

export interface Hold {
  /** Stops touching and waits for a touch under way, so nothing resets the entries' idle after it. */
  release(): Promise<void>;
}

/**
 * Holds the entries of a batch in flight (hold-while-working): every holdEveryMs their idle time
 * is reset, so a batch slower than the claim idle (a slow database) is never mistaken for a dead
 * consumer's and taken by a peer.
 */
export function holdWhileWorking(ctx: ConsumerContext, raw: RawEntry[], startedAt: number): Hold {
  const first = raw[0];
  const last = raw[raw.length - 1];
  if (!first || !last) return { release: async () => {} };
  const { stream, group, consumer, claimIdleMs, batchSize, holdEveryMs } = ctx.settings;
  let touching: Promise<void> | null = null;
  let warned = false;
  const touch = () => {
    const inFlightMs = ctx.clock.nowMs() - startedAt;
    // A handler that never returns keeps its batch: say so while it holds it, not only after.
    if (!warned && inFlightMs > claimIdleMs) {
      warned = true;
      ctx.log.warn({ batch_ms: inFlightMs, entries: raw.length, claim_idle_ms: claimIdleMs }, 'a stream batch is still in flight past the claim idle; holding its entries');
    }
    if (touching || !ctx.client.isReady) return;
    touching = ctx.client
      .eval(HOLD_SCRIPT, { keys: [stream], arguments: [group, consumer, first.id, last.id, String(raw.length + batchSize)] })
      .then((n) => {
        ctx.state.holdTouches += Number(n);
      })
      .catch((err: unknown) => ctx.log.warn({ err: errorText(err) }, 'could not hold the entries of the batch in flight'))
      .finally(() => (touching = null));
  };
  const timer = ctx.clock.every(holdEveryMs, touch);
  return {
    async release() {
      timer.cancel();
      await touching;
    },
  };
}

/**
 * Lets go of entries this consumer still owns: their idle time is set to `idleMs` (the claim idle)
 * without a delivery, so the next claim pass of any consumer in the group takes them. Atomic like
 * the hold, so an entry a peer has claimed meanwhile is left alone.
 * KEYS[1] stream; ARGV group, consumer, first id, last id, count, idle ms, then the ids.
 */
const LET_GO_SCRIPT = `
local wanted = {}
for i = 7, #ARGV do wanted[ARGV[i]] = true end
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[2])
local args = { KEYS[1], ARGV[1], ARGV[2], 0 }
for _, e in ipairs(owned) do
  if wanted[e[1]] then args[#args + 1] = e[1] end
end
if #args == 4 then return 0 end
args[#args + 1] = 'IDLE'
args[#args + 1] = ARGV[6]
args[#args + 1] = 'JUSTID'
return #redis.call('XCLAIM', unpack(args))
`;

/** Lets go of `ids` (within the batch `raw`); resolves with how many were still ours. */
export async function letGo(ctx: ConsumerContext, raw: RawEntry[], ids: string[]): Promise<number> {
  const first = raw[0];
  const last = raw[raw.length - 1];
  if (!first || !last || ids.length === 0) return 0;
  const { stream, group, consumer, claimIdleMs, batchSize } = ctx.settings;
  const n = await ctx.client.eval(LET_GO_SCRIPT, {
    keys: [stream],
    arguments: [group, consumer, first.id, last.id, String(raw.length + batchSize), String(claimIdleMs), ...ids],
  });
  return Number(n);
}
