import { and, asc, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import { classifyEvidence, shortLabel } from '../agent/evidence.js';
import { queryRows, schema, type Executor } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { buildIncidentReport, narrativeFacts, PEAK_FIELDS, type EventFacts, type IncidentReport, type ReportRow } from '../domain/incident-report.js';
import { reader } from './context.js';
import type { ServiceDeps } from './types.js';

const { incidents, sreActions } = schema;

/** Rows without an incident that still applied to it: the kill switch and the mode. */
const BRAKE_KINDS = ['agent.paused', 'agent.resumed', 'mode.changed'];

/**
 * The incident report (GET /v1/incidents/{id}/report, `sre-agent report incident ID`, the
 * console's Report button, the Slack summary at close): the incident's audit rows, and the
 * pauses and mode changes while it was open (with the one in force when it opened), in words.
 */
export async function incidentReport(deps: Pick<ServiceDeps, 'db' | 'tx' | 'clock' | 'narrator'>, input: { id: string; narrative?: boolean }): Promise<IncidentReport> {
  const db = reader(deps);
  const [inc] = await db.select().from(incidents).where(eq(incidents.id, input.id));
  if (!inc) throw new DomainError('not_found', `No incident ${input.id}.`);
  const now = deps.clock.now();
  const own = await db.select().from(sreActions).where(eq(sreActions.incidentId, inc.id)).orderBy(asc(sreActions.seq));
  // Brakes by chain order, not by time: the audit rows are stamped by the database's clock, the
  // incident's columns by the agent's, and seq orders both the same way.
  const opened = own.find((r) => r.kind === 'incident.opened')?.seq ?? own[0]?.seq ?? 0;
  const closed = own.find((r) => r.kind === 'incident.closed')?.seq;
  const brake = and(isNull(sreActions.incidentId), inArray(sreActions.kind, BRAKE_KINDS));
  const [during, before] = await Promise.all([
    db.select().from(sreActions).where(and(brake, gt(sreActions.seq, opened), closed === undefined ? undefined : lt(sreActions.seq, closed))),
    // The brake in force when the incident opened: the last change before it, if that was a pause or shadow.
    db.select().from(sreActions).where(and(brake, lt(sreActions.seq, opened))).orderBy(desc(sreActions.seq)).limit(1),
  ]);
  const events = await eventFacts(db, inc.id, inc.lastSeen.getTime() - inc.firstSeen.getTime());
  const inForce = before.filter((r) => r.kind === 'agent.paused' || (r.kind === 'mode.changed' && (r.payload as { to?: unknown }).to === 'shadow'));
  const rows: ReportRow[] = [...inForce, ...during, ...own].map((r) => ({
    seq: r.seq,
    hash: r.hash,
    occurredAt: r.occurredAt,
    kind: r.kind,
    actorType: r.actorType,
    actor: r.actor,
    proposalId: r.proposalId,
    payload: r.payload,
  }));
  const report = buildIncidentReport(
    { id: inc.id, type: inc.type, subject: inc.subject, status: inc.status, firstSeen: inc.firstSeen, lastSeen: inc.lastSeen, closedAt: inc.closedAt, eventCount: inc.eventCount },
    rows,
    now,
    { evidenceClass: evidenceClasses(rows), events },
  );
  return input.narrative ? withNarrative(deps, report) : report;
}

/**
 * The model's paragraph, from the report's lines alone, kept in its own field; when there is no
 * model or it fails, the report as it is and one line saying why.
 */
async function withNarrative(deps: Pick<ServiceDeps, 'narrator'>, report: IncidentReport): Promise<IncidentReport> {
  if (!deps.narrator) return { ...report, narrative_unavailable: 'No narrative: no model is configured (ANTHROPIC_API_KEY is not set).' };
  const n = await deps.narrator.narrate(narrativeFacts(report));
  return n.ok ? { ...report, narrative: { text: n.text, model: n.model } } : { ...report, narrative_unavailable: `No narrative: ${n.reason}.` };
}

/** What the evidence each proposal was reasoned from reads as, classified the way the playbook reads it. */
function evidenceClasses(rows: ReportRow[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of rows) {
    if (r.kind !== 'proposal.created' || !r.proposalId) continue;
    const ev = (r.payload.evidence ?? {}) as { latest_event_data?: Record<string, unknown> };
    const samples = ev.latest_event_data?.sample_errors;
    if (!Array.isArray(samples) || samples.length === 0) continue;
    const c = classifyEvidence({ sampleErrors: samples.filter((s): s is string => typeof s === 'string') });
    out.set(r.proposalId, `${shortLabel(c.cls)} (${c.samples} ${c.samples === 1 ? 'sample' : 'samples'})`);
  }
  return out;
}

/** The bucket the busiest figure counts in: minutes for an incident of up to 3 h, hours up to 3 days, else days. */
const windowFor = (spanMs: number): EventFacts['window'] => (spanMs <= 3 * 3_600_000 ? 'minute' : spanMs <= 3 * 86_400_000 ? 'hour' : 'day');

type Aggregate = { total: number; first: Date | null; last: Date | null; by_type: { type: string; n: number }[] | null; windows: number; busiest_at: Date | null; busiest_n: number | null; peaks: { field: string; value: number; at: string; id: string; latest: number | null }[] | null };

/**
 * The incident's events summarised in one statement (counts by type, first and last, the busiest
 * window, the peak of each measured field with its event): the report never carries the rows.
 */
async function eventFacts(ex: Executor, incidentId: string, spanMs: number): Promise<EventFacts> {
  const window = windowFor(spanMs);
  const fields = Object.keys(PEAK_FIELDS);
  const [a] = await queryRows<Aggregate>(
    ex,
    sql`
      with e as (select id, type, occurred_at, data from events where incident_id = ${incidentId}),
      buckets as (select date_trunc(${window}, occurred_at) as at, count(*)::int as n from e group by 1),
      measured as (
        select f.field, e.id, e.occurred_at, (e.data->>f.field)::float8 as v
        from e cross join unnest(array[${sql.join(fields.map((f) => sql`${f}`), sql`, `)}]::text[]) as f(field)
        where jsonb_typeof(e.data->f.field) = 'number'
      ),
      peak as (select distinct on (field) field, v, occurred_at, id from measured order by field, v desc, occurred_at),
      latest as (select distinct on (field) field, v from measured order by field, occurred_at desc, id desc)
      select
        (select count(*)::int from e) as total,
        (select min(occurred_at) from e) as first,
        (select max(occurred_at) from e) as last,
        (select json_agg(json_build_object('type', type, 'n', n) order by n desc, type) from (select type, count(*)::int as n from e group by type) t) as by_type,
        (select count(*)::int from buckets) as windows,
        (select at from buckets order by n desc, at limit 1) as busiest_at,
        (select n from buckets order by n desc, at limit 1) as busiest_n,
        (select json_agg(json_build_object('field', p.field, 'value', p.v, 'at', p.occurred_at, 'id', p.id, 'latest', l.v) order by p.field) from peak p join latest l using (field)) as peaks`,
  );
  const date = (v: Date | string | null) => (v === null ? null : new Date(v));
  return {
    total: a?.total ?? 0,
    byType: a?.by_type ?? [],
    first: date(a?.first ?? null),
    last: date(a?.last ?? null),
    window,
    windows: a?.windows ?? 0,
    busiest: a?.busiest_at && a.busiest_n !== null ? { at: new Date(a.busiest_at), n: a.busiest_n } : null,
    peaks: (a?.peaks ?? []).map((p) => ({ field: p.field, value: p.value, at: new Date(p.at), eventId: p.id, latest: p.latest })),
  };
}
