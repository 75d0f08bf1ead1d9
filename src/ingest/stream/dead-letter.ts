import type { RawEntry } from './redis-reply.js';
import { ack, errorText, type ConsumerContext } from './state.js';
import type { DeadLetter } from './types.js';

const DEAD_LETTER_MAXLEN = 100_000;

/**
 * Moves one entry to the dead-letter stream (its fields, why, and where it came from), calls the
 * `onDeadLetter` hook, and only then acknowledges it: a failing hook leaves the entry pending, to
 * be retried like any failed entry.
 */
export async function deadLetter(ctx: ConsumerContext, entry: RawEntry, error: string, deliveries: number): Promise<void> {
  const { stream, group, consumer, deadLetterStream } = ctx.settings;
  const deadLetterId = await ctx.client.xAdd(
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
      dead_lettered_at: ctx.clock.now().toISOString(),
    },
    { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: DEAD_LETTER_MAXLEN } },
  );
  const dead: DeadLetter = { id: entry.id, fields: entry.fields, error, deliveries, deadLetterId, stream, deadLetterStream };
  if (ctx.onDeadLetter) {
    try {
      await ctx.onDeadLetter(dead, error);
    } catch (err) {
      ctx.log.error({ entry_id: entry.id, err: errorText(err) }, 'dead-letter hook failed; entry left pending');
      ctx.state.noteFailures();
      return;
    }
  }
  await ack(ctx, [entry.id]);
  ctx.state.deadLettered++;
  ctx.state.transientDeliveries.delete(entry.id);
  ctx.log.error({ entry_id: entry.id, dead_letter_id: deadLetterId, deliveries, error }, 'stream entry dead-lettered');
}
