import { inArray, sql } from 'drizzle-orm';
import { appendAudit, type AuditRecord } from '../audit/append.js';
import { queryRows, schema, type Tx } from '../db/client.js';
import { incidentKey, incidentSubject, type PlatformEvent } from '../domain/events.js';
import { newId, type ServiceDeps } from '../proposals/index.js';
import { enqueue, enqueueNotifications, job } from '../jobs/index.js';
import { activeSilences, silenceStoredEvents } from '../silences/index.js';
import { currentTraceparent, linkTo, SpanKind, withSpan } from '../telemetry/index.js';

const { incidents } = schema;
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
  /** Stored events a silence matched, by the silence's matcher keys (sre_events_silenced_total). */
  silenced?: Map<string, number>;
  /** Traced incidents opened earlier that this batch fed, with their traceparent (for their traces; not returned to callers). */
  fed?: { id: string; traceParent: string }[];
}

/** What ingest needs; policy (its time zone) and maintenance feed the silences, UTC and none when absent. */
type IngestDeps = Pick<ServiceDeps, 'db' | 'channels' | 'clock' | 'poke' | 'logger' | 'metrics'> & Partial<Pick<ServiceDeps, 'policy' | 'maintenance'>>;

/** Told once the batch's per-key locks are held: a batch started after it stores nothing before it commits. */
export interface IngestProgress {
  locked?: () => void;
}

/**
 * Stores a batch of parsed events in ONE transaction: deduplicated by event id, correlated into
 * one open incident per key (counters exact), audited, and each new incident given a durable
 * 'propose' job. Returns after commit; the caller may then acknowledge its source.
 */
export async function ingestEvents(deps: IngestDeps, items: readonly IngestItem[], progress: IngestProgress = {}): Promise<IngestOutcome> {
  if (items.length === 0) return { accepted: [], duplicates: [], incidentsOpened: [] };
  const via = items[0]!.via;
  // The batch's span: the trace of every incident it opens (incidents.trace_parent).
  const kind = via === 'stream' ? SpanKind.CONSUMER : via === 'http' ? SpanKind.SERVER : SpanKind.INTERNAL;
  const attributes = { 'sre.ingest.via': via, 'messaging.batch.message_count': items.length, ...(via === 'stream' ? { 'messaging.system': 'redis', 'messaging.operation.type': 'process' } : {}) };
  return withSpan(`sre.ingest ${via}`, { kind, attributes }, async (span) => {
    const outcome = await ingestBatch(deps, items, progress);
    span.setAttributes({ 'sre.events.accepted': outcome.accepted.length, 'sre.events.duplicates': outcome.duplicates.length, 'sre.incidents.opened': outcome.incidentsOpened.length });
    if (outcome.incidentsOpened.length > 0) span.setAttribute('sre.incident.ids', outcome.incidentsOpened);
    if (outcome.fed && outcome.fed.length > 0) await traceFed(outcome.fed);
    delete outcome.fed;
    return outcome;
  });
}

/**
 * A batch that fed incidents opened earlier (in another trace) leaves a span in each incident's
 * trace, linked to the batch: an incident's trace shows every batch that fed it. Only while tracing.
 */
async function traceFed(fed: { id: string; traceParent: string }[]): Promise<void> {
  const batch = currentTraceparent();
  if (!batch) return;
  for (const r of fed) {
    if (r.traceParent.slice(3, 35) === batch.slice(3, 35)) continue;
    await withSpan('sre.ingest.fed', { parent: r.traceParent, links: linkTo(batch), attributes: { 'sre.incident.id': r.id } }, async () => {});
  }
}

async function ingestBatch(deps: IngestDeps, items: readonly IngestItem[], progress: IngestProgress): Promise<IngestOutcome> {
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
  const outcome = await deps.db.transaction(async (tx) => ingestInTx(tx, deps, unique, progress));
  outcome.duplicates.push(...duplicates);
  if (deps.metrics) {
    const typeOf = new Map(items.map((i) => [i.event.id, i.event.type]));
    for (const id of outcome.accepted) deps.metrics.eventsIngested.inc({ type: typeOf.get(id) ?? 'unknown', outcome: 'accepted' });
    for (const id of outcome.duplicates) deps.metrics.eventsIngested.inc({ type: typeOf.get(id) ?? 'unknown', outcome: 'duplicate' });
    for (const [matcher, n] of outcome.silenced ?? []) deps.metrics.eventsSilenced.inc({ matcher }, n);
  }
  if (outcome.incidentsOpened.length > 0) deps.poke?.();
  return outcome;
}

type Stored = {
  incident_id: string;
  via: string;
  n: number;
  ids: string[];
  digest: string;
  first_occurred_at: string;
  last_occurred_at: string;
  /** The incident's trace context (incidents.trace_parent), read in the same statement. */
  trace_parent: string | null;
};

async function ingestInTx(tx: Tx, deps: IngestDeps, items: IngestItem[], progress: IngestProgress): Promise<IngestOutcome> {
  const now = deps.clock.now();
  const byKey = new Map<string, IngestItem[]>();
  for (const it of items) {
    const k = incidentKey(it.event);
    const list = byKey.get(k);
    if (list) list.push(it);
    else byKey.set(k, [it]);
  }
  const silenceDeps = { clock: deps.clock, policy: { timeZone: deps.policy?.timeZone ?? 'UTC' }, ...(deps.maintenance ? { maintenance: deps.maintenance } : {}) };
  const keys = [...byKey.keys()].sort();
  // One round trip, three statements run in the order sent: the per-key locks (they read the keys'
  // open incidents), the silences in force, and the events of every key that has an open incident
  // stored into it. Sent behind the locks, the store runs only once they are held.
  const [open, inForce, storedOpen] = await together(
    lockKeys(tx, keys),
    activeSilences(tx, silenceDeps, now),
    storeEvents(tx, [...byKey], now),
  );
  const openIds = new Set(open.map((i) => i.id));
  // Under the locks both statements see the same open incidents (lockKeys).
  if (storedOpen.some((s) => !openIds.has(s.incident_id))) throw new Error('ingest: events stored into an incident the per-key locks did not report open');
  const { incidentOf, opened } = await openIncidents(tx, byKey, keys, open, now);
  // A key without an open incident: its events, once the new incident is there.
  const storedNew = opened.length > 0 ? await storeEvents(tx, opened.map((o) => [o.key, byKey.get(o.key)!] as const), now) : [];
  const stored = [...storedOpen, ...storedNew].sort((a, b) => cmp(a.incident_id, b.incident_id) || cmp(a.via, b.via));
  const accepted = new Set(stored.flatMap((s) => s.ids));
  const storedIn = new Set(stored.map((s) => s.incident_id));
  const openedIds = opened.filter((o) => storedIn.has(o.id)).map((o) => o.id);
  // A new incident whose every event was already stored is not an incident.
  const empty = opened.filter((o) => !storedIn.has(o.id)).map((o) => o.id);
  if (empty.length > 0) await tx.delete(incidents).where(inArray(incidents.id, empty));
  // Silenced events are stored and audited like any other; their incident is held (src/silences).
  const silenced = await silenceStoredEvents(
    tx,
    silenceDeps,
    items.filter((it) => accepted.has(it.event.id)).map((it) => ({ event: it.event, incidentId: incidentOf.get(incidentKey(it.event))! })),
    inForce,
  );
  await enqueue(tx, openedIds.map((id) => job('propose', `propose:${id}`, now, { incident_id: id })));
  // The outbox rows and the audit rows in one round trip, sent in this order and run in it: the
  // audit chain's lock last, as every writer takes it. An outbox insert that waits on the
  // dispatcher while holding the chain lock would deadlock with the dispatcher's own audit row
  // (test/pipeline/ingest-locks.test.ts).
  const last = together(
    enqueueNotifications(tx, deps, [...storedIn].map((id) => ({ kind: openedIds.includes(id) ? ('incident.opened' as const) : ('incident.updated' as const), incidentId: id }))),
    appendAudit(tx, ...openedAudits(opened.filter((o) => storedIn.has(o.id)), byKey, accepted), ...stored.map((s) => receivedAudit(s, now)), ...silenced.audits),
  );
  // The keys' locks are held and this batch's last statements are sent: a batch started now
  // stores nothing before this one commits, and its preparation in Node no longer delays these.
  progress.locked?.();
  await last;
  return {
    silenced: silenced.byMatcher,
    accepted: items.filter((it) => accepted.has(it.event.id)).map((it) => it.event.id),
    duplicates: items.filter((it) => !accepted.has(it.event.id)).map((it) => it.event.id),
    incidentsOpened: openedIds,
    fed: stored.flatMap((st) => (st.trace_parent && !openedIds.includes(st.incident_id) ? [{ id: st.incident_id, traceParent: st.trace_parent }] : [])),
  };
}

/**
 * Awaits statements already sent on the transaction's connection (postgres.js pipelines them and
 * PostgreSQL runs them in the order sent; PGlite runs them one after another). Every one is waited
 * for, so none is left unobserved; the first failure is thrown (a later statement of an aborted
 * transaction only fails because of it).
 */
async function together<T extends readonly unknown[]>(...sent: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(sent);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type Opened = { id: string; key: string; sample: PlatformEvent };

/**
 * Per-key locks in a fixed order (replicas correlating the same subject queue, never deadlock),
 * then the open incidents read under them with a fresh snapshot (drizzle/0005). An incident opens,
 * closes (close-quiet) or goes (an empty new one, below) only under its key's lock, so what this
 * read sees stays true for the rest of the transaction.
 */
function lockKeys(tx: Tx, keys: readonly string[]): Promise<{ id: string; key: string }[]> {
  return queryRows<{ id: string; key: string }>(tx, sql`select id, key from sre_ingest_lock_keys(${pgTextArray(keys)}::text[])`);
}

/** A key without an open incident gets a new, still empty one. */
async function openIncidents(tx: Tx, byKey: Map<string, IngestItem[]>, keys: readonly string[], open: readonly { id: string; key: string }[], now: Date): Promise<{ incidentOf: Map<string, string>; opened: Opened[] }> {
  const openByKey = new Map(open.map((i) => [i.key, i.id]));
  const incidentOf = new Map<string, string>();
  const opened: Opened[] = [];
  for (const k of keys) {
    const id = openByKey.get(k);
    if (id) incidentOf.set(k, id);
    else {
      const fresh = { id: newId('inc'), key: k, sample: byKey.get(k)![0]!.event };
      incidentOf.set(k, fresh.id);
      opened.push(fresh);
    }
  }
  if (opened.length > 0) {
    const traceParent = currentTraceparent() ?? null;
    await tx.insert(incidents).values(
      opened.map((o) => ({
        id: o.id,
        key: o.key,
        type: o.sample.type,
        subject: incidentSubject(o.sample),
        status: 'open',
        // Empty until storeEvents adds what it stored (an event of this batch may turn
        // out to be stored already): least/greatest then take the stored events' times.
        firstSeen: sql`'infinity'::timestamptz`,
        lastSeen: sql`'-infinity'::timestamptz`,
        eventCount: 0,
        latest: {},
        first: {},
        openedAt: now,
        traceParent,
      })),
    );
  }
  return { incidentOf, opened };
}

/**
 * One statement: store the events into the open incident of their key (an event whose key has
 * none is left out; the caller holds the keys' locks), skipping an id already stored here or by a
 * concurrent transaction (ON CONFLICT), move each incident's counters by exactly what was stored
 * (first and latest by when the events occurred, not by which batch came first: two replicas'
 * batches, or a batch retried after the next one committed, store out of order), and return per
 * incident and source the stored ids with the digest of their canonical rows.
 * The events travel as ONE json parameter: thousands of bind parameters cost more than parsing.
 */
async function storeEvents(tx: Tx, byKey: readonly (readonly [string, readonly IngestItem[]])[], now: Date): Promise<Stored[]> {
  const rows = byKey.flatMap(([key, list]) =>
    list.map((it) => ({
      id: it.event.id,
      type: it.event.type,
      occurred_at: it.event.occurred_at,
      source: it.event.source,
      via: it.via,
      data: it.event.data,
      key,
    })),
  );
  return queryRows<Stored>(
    tx,
    sql`
      with ins as (
        insert into events (id, type, occurred_at, received_at, source, via, data, incident_id)
        select x.id, x.type, x.occurred_at, ${now.toISOString()}::timestamptz, x.source, x.via, x.data, i.id
        from json_to_recordset(${JSON.stringify(rows)}::json)
          as x(id text, type text, occurred_at timestamptz, source text, via text, data jsonb, key text)
          join incidents i on i.key = x.key and i.status = 'open'
        on conflict (id) do nothing
        returning id, incident_id, via, occurred_at, data, sre_event_text(events) as canonical
      ),
      per_incident as (
        select incident_id, count(*)::int as n, min(occurred_at) as first_seen, max(occurred_at) as last_seen,
               (array_agg(data order by occurred_at desc, id desc))[1] as latest,
               (array_agg(data order by occurred_at, id))[1] as first
        from ins group by incident_id
      ),
      counted as (
        update incidents i set
          event_count = i.event_count + v.n,
          first_seen = least(i.first_seen, v.first_seen),
          last_seen = greatest(i.last_seen, v.last_seen),
          latest = case when i.last_seen <= v.last_seen then v.latest else i.latest end,
          first = case when i.event_count = 0 or v.first_seen < i.first_seen then v.first else i.first end,
          summary_version = i.summary_version + 1
        from per_incident v where i.id = v.incident_id
      )
      select incident_id, via, count(*)::int as n,
             array_agg(id order by id) as ids,
             sre_events_digest_of(array_agg(canonical order by id)) as digest,
             to_char(min(occurred_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as first_occurred_at,
             to_char(max(occurred_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as last_occurred_at,
             (select i.trace_parent from incidents i where i.id = ins.incident_id) as trace_parent
      from ins group by incident_id, via order by incident_id, via`,
  );

}

function openedAudits(opened: Opened[], byKey: Map<string, IngestItem[]>, accepted: Set<string>): AuditRecord[] {
  return opened.map((o) => {
    const first = earliest(byKey.get(o.key)!.filter((it) => accepted.has(it.event.id)));
    return {
      kind: 'incident.opened',
      actor: INGEST,
      incidentId: o.id,
      payload: { key: o.key, type: first.type, subject: incidentSubject(first), first_event: first as unknown as Record<string, unknown> },
    };
  });
}

function receivedAudit(s: Stored, now: Date): AuditRecord {
  return {
    kind: 'events.received',
    actor: INGEST,
    incidentId: s.incident_id,
    payload: { via: s.via, count: Number(s.n), event_ids: s.ids, digest: s.digest, received_at: now.toISOString(), first_occurred_at: s.first_occurred_at, last_occurred_at: s.last_occurred_at },
  };
}

/** The earliest event of a non-empty list (the first of equals in list order). */
function earliest(list: readonly IngestItem[]): PlatformEvent {
  let best = list[0]!.event;
  for (const it of list) if (it.event.occurred_at.localeCompare(best.occurred_at) < 0) best = it.event;
  return best;
}

/** A text[] literal as one parameter: `{"a","b"}` with quotes and backslashes escaped. */
function pgTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
