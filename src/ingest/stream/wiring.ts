import { appendAudit } from '../../audit/append.js';
import { type ServiceDeps } from '../../proposals/index.js';
import { ingestEvents } from '../ingest.js';
import type { DeadLetter, StreamEntry } from './types.js';

/** The consumer's `handleBatch`: the whole batch into ingestEvents, one transaction, resolved after commit. */
export function streamBatchHandler(deps: Pick<ServiceDeps, 'db' | 'channels' | 'clock' | 'poke' | 'logger' | 'metrics'>): (entries: StreamEntry[]) => Promise<void> {
  return async (entries) => {
    await ingestEvents(deps, entries.map((e) => ({ event: e.event, via: 'stream' as const, entryId: e.id })));
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
