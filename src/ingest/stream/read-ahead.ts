import { holdWhileWorking, type Hold } from './hold.js';
import { parseStreamEntry } from './parse-entry.js';
import { entriesOfRead, type RawEntry } from './redis-reply.js';
import type { ConsumerContext } from './state.js';

/**
 * The next batch, read (without blocking) and parsed while the one before it commits, so the
 * read and the validation sit beside the database's time instead of after it. Its entries are
 * held from the moment they arrive, as a batch in flight's are, so a slow commit never leaves
 * them idle for a peer's claim.
 */
export interface ReadAhead {
  entries: RawEntry[];
  /** The consumer's reread generation when the read was sent: a later reread of our own entries voids it. */
  generation: number;
  hold: Hold;
}

/** Reads up to one batch of new entries without blocking; null when there is none. */
export async function readAhead(ctx: ConsumerContext): Promise<ReadAhead | null> {
  const { group, consumer, stream, batchSize } = ctx.settings;
  const generation = ctx.state.rereadGeneration;
  const reply = await ctx.client.xReadGroup(group, consumer, { key: stream, id: '>' }, { COUNT: batchSize });
  const entries = entriesOfRead(reply);
  if (entries.length === 0) return null;
  const hold = holdWhileWorking(ctx, entries, ctx.clock.nowMs());
  for (const e of entries) if (e.fields !== null) e.parsed = parseStreamEntry(e.fields);
  return { entries, generation, hold };
}
