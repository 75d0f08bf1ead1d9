import { appendAudit } from '../../audit/append.js';
import { type ServiceDeps } from '../../proposals/index.js';
import { ingestEvents } from '../ingest.js';
import type { BatchProgress, DeadLetter, StreamEntry } from './types.js';

/**
 * The consumer's `handleBatch`: the whole batch into ingestEvents, one transaction, resolved after
 * commit. Once the batch's per-key locks are held its order is fixed, and the consumer may start
 * the next batch, whose locks then wait in PostgreSQL for this commit.
 */
export function streamBatchHandler(deps: Pick<ServiceDeps, 'db' | 'channels' | 'clock' | 'poke' | 'logger' | 'metrics'>): (entries: StreamEntry[], batch?: BatchProgress) => Promise<void> {
  return async (entries, batch) => {
    await ingestEvents(deps, entries.map((e) => ({ event: e.event, via: 'stream' as const, entryId: e.id })), batch ? { locked: batch.ordered } : {});
  };
}

/** The consumer's `onDeadLetter`: an `event.dead_lettered` audit row (the entry's text is not copied; it stays in the dead-letter stream). */
export function auditDeadLetter(deps: Pick<ServiceDeps, 'db'>): (dead: DeadLetter, error: string) => Promise<void> {
  return async (dead, error) => {
    await deps.db.transaction((tx) =>
      appendAudit(tx, {
        kind: 'event.dead_lettered',
        actor: { type: 'system', name: 'ingest' },
        payload: {
          entry_id: dead.id,
          error,
          stream: dead.stream,
          dead_letter_stream: dead.deadLetterStream,
          dead_letter_id: dead.deadLetterId,
          deliveries: dead.deliveries,
          ...(dead.fields?.event ? { event_id: eventIdOf(dead.fields.event) } : {}),
        },
      }),
    );
  };
}

function eventIdOf(raw: string): string | null {
  try {
    const v: unknown = JSON.parse(raw);
    const id = typeof v === 'object' && v !== null ? (v as { id?: unknown }).id : undefined;
    return typeof id === 'string' ? id.slice(0, 200) : null;
  } catch {
    return null;
  }
}
