import type { StreamEntryParse } from './parse-entry.js';

/**
 * Normalisers for node-redis stream replies. Its reply types are unions over RESP versions, so
 * the shapes are checked here at run time instead of cast.
 */

export interface RawEntry {
  id: string;
  /** null when the entry was deleted from the stream while still pending. */
  fields: Record<string, string> | null;
  /** The entry's envelope already parsed, when it was read ahead (read-ahead.ts). */
  parsed?: StreamEntryParse;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toFields(v: unknown): Record<string, string> | null {
  if (!isRecord(v)) return null;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    else if (Buffer.isBuffer(val)) out[k] = val.toString('utf8');
  }
  return out;
}

function toEntry(m: unknown): RawEntry | null {
  if (!isRecord(m) || typeof m.id !== 'string') return null;
  return { id: m.id, fields: toFields(m.message) };
}

/** XREADGROUP → the entries of the one stream read (empty on timeout). */
export function entriesOfRead(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: RawEntry[] = [];
  for (const stream of reply) {
    if (!isRecord(stream) || !Array.isArray(stream.messages)) continue;
    for (const m of stream.messages) {
      const e = toEntry(m);
      if (e) out.push(e);
    }
  }
  return out;
}

/** XAUTOCLAIM → claimed entries and the cursor for the next call. */
export function entriesOfAutoClaim(reply: unknown): { nextId: string; entries: RawEntry[] } {
  if (!isRecord(reply)) return { nextId: '0-0', entries: [] };
  const entries: RawEntry[] = [];
  if (Array.isArray(reply.messages)) {
    for (const m of reply.messages) {
      const e = toEntry(m);
      if (e) entries.push(e);
    }
  }
  return { nextId: typeof reply.nextId === 'string' ? reply.nextId : '0-0', entries };
}
