import { and, asc, desc, eq, gt, inArray, isNull, lt } from 'drizzle-orm';
import { classifyEvidence, shortLabel } from '../agent/evidence.js';
import { schema } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { buildIncidentReport, type IncidentReport, type ReportRow } from '../domain/incident-report.js';
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
export async function incidentReport(deps: Pick<ServiceDeps, 'db' | 'tx' | 'clock'>, input: { id: string }): Promise<IncidentReport> {
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
  return buildIncidentReport(
    { id: inc.id, type: inc.type, subject: inc.subject, status: inc.status, firstSeen: inc.firstSeen, lastSeen: inc.lastSeen, closedAt: inc.closedAt, eventCount: inc.eventCount },
    rows,
    now,
    { evidenceClass: evidenceClasses(rows) },
  );
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
