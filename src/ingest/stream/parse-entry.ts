import { parseEvent, type PlatformEvent } from '../../domain/events.js';

/** An envelope larger than this is refused before JSON.parse (CONTRACT.md: a 10 MB body is a clear error). */
export const MAX_ENTRY_CHARS = 1_000_000;

export type StreamEntryParse = { ok: true; event: PlatformEvent } | { ok: false; id?: string; problems: string[] };

/** Reads one stream entry: the field `event` holds the JSON envelope (CONTRACT.md "Events"). */
export function parseStreamEntry(fields: Record<string, string> | null | undefined): StreamEntryParse {
  const raw = fields?.event;
  if (raw === undefined) return { ok: false, problems: ['event: missing field (the entry must carry the JSON envelope in the field "event")'] };
  if (raw.length > MAX_ENTRY_CHARS) {
    return { ok: false, problems: [`event: ${raw.length} characters, more than the ${MAX_ENTRY_CHARS} allowed`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    return { ok: false, problems: [`event: not valid JSON (${(e as Error).message})`] };
  }
  return parseEvent(json);
}
