import type { ConsumerContext, RedisClient } from './state.js';

/**
 * Claims a dead consumer's pending entries for this one at once (min-idle 0, those ids only), and
 * removes it from the group once its list is empty. One script, so it is atomic: it does nothing
 * while the dead consumer's heartbeat key exists again (it came back), two peers never both claim
 * an entry, and the consumer is removed only with nothing pending (XGROUP DELCONSUMER drops what is).
 * KEYS[1] stream, KEYS[2] the dead consumer's heartbeat key; ARGV group, dead consumer, this consumer, count.
 * Returns -1 (alive again), 0 (nothing left: removed) or how many it claimed.
 */
const TAKEOVER_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', tonumber(ARGV[4]), ARGV[2])
if #owned == 0 then
  redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
  return 0
end
local args = { KEYS[1], ARGV[1], ARGV[3], 0 }
for _, e in ipairs(owned) do args[#args + 1] = e[1] end
args[#args + 1] = 'JUSTID'
return #redis.call('XCLAIM', unpack(args))
`;

/**
 * The takeover of one dead consumer: its entries become this consumer's pending entries (read and
 * handled by the loop's next pass over its own, one batch at a time, as after a restart). Runs on
 * a connection of its own (`side`): the loop's blocks in XREADGROUP. Resolves with how many entries
 * it claimed and whether the dead consumer is gone from the group.
 */
export async function takeOverConsumer(ctx: ConsumerContext, side: RedisClient, gone: string, heartbeatKey: string): Promise<{ claimed: number; removed: boolean }> {
  const { stream, group, consumer, batchSize } = ctx.settings;
  if (gone === consumer) return { claimed: 0, removed: false };
  let claimed = 0;
  // A bounded number of rounds a pass: the rest waits for the next pass of the takeover.
  for (let round = 0; round < 20; round++) {
    const n = Number(await side.eval(TAKEOVER_SCRIPT, { keys: [stream, heartbeatKey], arguments: [group, gone, consumer, String(batchSize)] }));
    if (n < 0) return { claimed, removed: false };
    if (n === 0) {
      if (claimed > 0) ctx.state.rereadOwn();
      ctx.log.info({ gone, claimed }, 'took over the pending entries of a consumer whose heartbeat is gone; removed it from the group');
      return { claimed, removed: true };
    }
    claimed += n;
    ctx.state.rereadOwn();
  }
  return { claimed, removed: false };
}
