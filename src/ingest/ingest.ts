import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { appendAudit, type AuditRecord } from '../audit/append.js';
import { schema, type Tx } from '../db/client.js';
import { incidentKey, incidentSubject, type PlatformEvent } from '../domain/events.js';
import { newId } from '../proposals/ids.js';
import { enqueueNotifications } from '../proposals/outbox.js';
import type { ServiceDeps } from '../proposals/types.js';

const { events, incidents, timers } = schema;
const INGEST = { type: 'system', name: 'ingest' } as const;

export type Via = 'stream' | 'http' | 'file';
export interface IngestItem {
  event: PlatformEvent;
  via: Via;
  entryId?: string;
}
export interface IngestOutcome {
  accepted: string[];
  duplicates: string[];
  incidentsOpened: string[];
}

/**
 * Stores a batch of parsed events in ONE transaction: deduplicated by event id, correlated into
 * one open incident per key (counters exact), audited, and each new incident given a durable
 * 'propose' timer. Returns after commit; the caller may then acknowledge its source.
 */
export async function ingestEvents(deps: Pick<ServiceDeps, 'db' | 'channels' | 'now' | 'poke' | 'logger' | 'metrics'>, items: readonly IngestItem[]): Promise<IngestOutcome> {
  if (items.length === 0) return { accepted: [], duplicates: [], incidentsOpened: [] };
  // Within the batch, the first occurrence of an id wins.
  const seen = new Set<string>();
  const unique: IngestItem[] = [];
  const duplicates: string[] = [];
  for (const it of items) {
    if (seen.has(it.event.id)) duplicates.push(it.event.id);
    else {
      seen.add(it.event.id);
      unique.push(it);
    }
  }
  const outcome = await deps.db.transaction(async (tx) => ingestInTx(tx, deps, unique));
  outcome.duplicates.push(...duplicates);
  if (deps.metrics) {
    const typeOf = new Map(items.map((i) => [i.event.id, i.event.type]));
    for (const id of outcome.accepted) deps.metrics.eventsIngested.inc({ type: typeOf.get(id) ?? 'unknown', outcome: 'accepted' });
    for (const id of outcome.duplicates) deps.metrics.eventsIngested.inc({ type: typeOf.get(id) ?? 'unknown', outcome: 'duplicate' });
  }
  if (outcome.incidentsOpened.length > 0) deps.poke?.();
  return outcome;
}

async function ingestInTx(tx: Tx, deps: Pick<ServiceDeps, 'channels' | 'now'>, items: IngestItem[]): Promise<IngestOutcome> {
  const now = deps.now();
  const existing = new Set(
    (await tx.select({ id: events.id }).from(events).where(inArray(events.id, items.map((i) => i.event.id)))).map((r) => r.id),
  );
  const fresh = items.filter((i) => !existing.has(i.event.id));
  const duplicates = items.filter((i) => existing.has(i.event.id)).map((i) => i.event.id);
  if (fresh.length === 0) return { accepted: [], duplicates, incidentsOpened: [] };

  const byKey = new Map<string, IngestItem[]>();
  for (const it of fresh) {
    const k = incidentKey(it.event);
    const list = byKey.get(k);
    if (list) list.push(it);
    else byKey.set(k, [it]);
  }
  const keys = [...byKey.keys()].sort();
  // Per-key locks in a fixed order: replicas correlating the same subject queue, never deadlock.
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(k, 7400132)) from (select k from unnest(array[${sql.join(keys.map((k) => sql`${k}`), sql`, `)}]::text[]) k order by k) s`,
  );

  const open = await tx.select().from(incidents).where(and(inArray(incidents.key, keys), eq(incidents.status, 'open')));
  const openByKey = new Map(open.map((i) => [i.key, i]));
  const incidentOf = new Map<string, string>();
  const opened: { id: string; key: string; items: IngestItem[] }[] = [];
  for (const k of keys) {
    const inc = openByKey.get(k);
    if (inc) incidentOf.set(k, inc.id);
    else {
      const id = newId('inc');
      incidentOf.set(k, id);
      opened.push({ id, key: k, items: byKey.get(k)! });
    }
  }
  if (opened.length > 0) {
    await tx.insert(incidents).values(
      opened.map((o) => {
        const sorted = [...o.items].sort((a, b) => a.event.occurred_at.localeCompare(b.event.occurred_at));
        const first = sorted[0]!.event;
        return {
          id: o.id,
          key: o.key,
          type: first.type,
          subject: incidentSubject(first),
          status: 'open',
          firstSeen: new Date(first.occurred_at),
          lastSeen: new Date(first.occurred_at),
          eventCount: 0,
          latest: first.data,
          first: first.data,
          openedAt: now,
        };
      }),
    );
  }

  // A concurrent transaction may have stored one of these ids since we looked: ON CONFLICT skips it.
  const inserted = new Set<string>();
  for (let i = 0; i < fresh.length; i += 1000) {
    const slice = fresh.slice(i, i + 1000);
    const rows = await tx
      .insert(events)
      .values(
        slice.map((it) => ({
          id: it.event.id,
          type: it.event.type,
          occurredAt: new Date(it.event.occurred_at),
          receivedAt: now,
          source: it.event.source,
          via: it.via,
          data: it.event.data as Record<string, unknown>,
          incidentId: incidentOf.get(incidentKey(it.event))!,
        })),
      )
      .onConflictDoNothing()
      .returning({ id: events.id });
    for (const r of rows) inserted.add(r.id);
  }

  const audits: AuditRecord[] = [];
  const openedIds: string[] = [];
  const counters: SQL[] = [];
  const notes: { kind: 'incident.opened' | 'incident.updated'; incidentId: string }[] = [];
  const proposeTimers: (typeof timers.$inferInsert)[] = [];
  for (const k of keys) {
    const incId = incidentOf.get(k)!;
    const mine = byKey.get(k)!.filter((it) => inserted.has(it.event.id));
    if (mine.length === 0) continue;
    const sorted = [...mine].sort((a, b) => a.event.occurred_at.localeCompare(b.event.occurred_at));
    const last = sorted[sorted.length - 1]!.event;
    const first = sorted[0]!.event;
    counters.push(
      sql`(${incId}::text, ${mine.length}::int, ${new Date(first.occurred_at).toISOString()}::timestamptz, ${new Date(last.occurred_at).toISOString()}::timestamptz, ${JSON.stringify(last.data)}::jsonb)`,
    );
    const isNew = opened.some((o) => o.id === incId);
    if (isNew) {
      openedIds.push(incId);
      audits.push({ kind: 'incident.opened', actor: INGEST, incidentId: incId, payload: { key: k, type: first.type, subject: incidentSubject(first), first_event: first.id } });
      proposeTimers.push({ kind: 'propose', key: `propose:${incId}`, runAt: now, payload: { incident_id: incId } });
    }
    notes.push({ kind: isNew ? 'incident.opened' : 'incident.updated', incidentId: incId });
    for (const it of mine) {
      audits.push({ kind: 'event.received', actor: INGEST, incidentId: incId, payload: { event: it.event as unknown as Record<string, unknown>, via: it.via, ...(it.entryId ? { entry_id: it.entryId } : {}) } });
    }
  }
  // One statement each for every key's counters, timers and notifications: round trips, not keys.
  if (counters.length > 0) {
    await tx.execute(sql`
      update incidents i set
        event_count = i.event_count + v.n,
        first_seen = least(i.first_seen, v.first_seen),
        last_seen = greatest(i.last_seen, v.last_seen),
        latest = case when i.last_seen <= v.last_seen then v.latest else i.latest end,
        summary_version = i.summary_version + 1
      from (values ${sql.join(counters, sql`, `)}) as v(id, n, first_seen, last_seen, latest)
      where i.id = v.id`);
  }
  if (proposeTimers.length > 0) await tx.insert(timers).values(proposeTimers).onConflictDoNothing();
  await enqueueNotifications(tx, deps.channels, notes);
  // A new incident whose every event lost a race to a concurrent insert is not an incident.
  const empty = opened.filter((o) => !openedIds.includes(o.id)).map((o) => o.id);
  if (empty.length > 0) await tx.delete(incidents).where(inArray(incidents.id, empty));
  await appendAudit(tx, ...audits);
  return {
    accepted: fresh.filter((f) => inserted.has(f.event.id)).map((f) => f.event.id),
    duplicates: [...duplicates, ...fresh.filter((f) => !inserted.has(f.event.id)).map((f) => f.event.id)],
    incidentsOpened: openedIds,
  };
}
