import { and, asc, desc, eq, gte, inArray, lt, lte, or } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import { DECISION_RECORD_VERSION, DecisionRecord, GatewayRead, pastIncidentLine, type DecisionRecord as DecisionLine } from '../domain/decision-record.js';
import { DomainError } from '../domain/errors.js';
import { HUMAN_CHANNELS, HUMAN_APPROVED_STATUSES, parseSince, SINCE_HINT } from '../domain/report.js';
import { reader } from './context.js';
import { failedVerificationIds, pastIncidentsOf } from './past-incidents.js';
import type { ServiceDeps } from './types.js';

/**
 * `sre-agent eval export --since 30d`: every incident a person decided, as the replay file's lines
 * (domain/decision-record.ts). An incident is exported by its first proposal a person approved or
 * rejected; what the agent saw then comes from that proposal's `proposal.created` audit row (the
 * incident as reasoned about, the event ids, the gateway reads) and from the tables (the events,
 * the earlier proposals as they stood, the decision and its approvals).
 */

const { proposals, incidents, events, sreActions, proposalApprovals } = schema;
const HISTORY_WINDOW_MS = 7 * 24 * 3_600_000;
const iso = (d: Date) => d.toISOString();
type ProposalRow = typeof proposals.$inferSelect;
type Json = Record<string, unknown>;

export interface DecisionExport {
  since: Date;
  records: DecisionLine[];
  /** Decided proposals that could not be exported, each with why (a line that would not validate). */
  skipped: { proposalId: string; problem: string }[];
}

export async function exportDecisions(deps: Pick<ServiceDeps, 'db' | 'tx' | 'clock'>, input: { since?: string }): Promise<DecisionExport> {
  const label = (input.since ?? '30d').trim();
  const since = parseSince(label, deps.clock.now());
  if (!since) throw new DomainError('invalid', `--since: ${SINCE_HINT}, got "${label.slice(0, 40)}"`, { field: 'since' });
  const db = reader(deps);
  const decided = await db
    .select()
    .from(proposals)
    .where(and(gte(proposals.createdAt, since), inArray(proposals.decidedVia, [...HUMAN_CHANNELS]), inArray(proposals.status, [...HUMAN_APPROVED_STATUSES, 'rejected'])))
    .orderBy(asc(proposals.createdAt), asc(proposals.id));
  const first = new Map<string, ProposalRow>();
  for (const p of decided) if (!first.has(p.incidentId)) first.set(p.incidentId, p);
  const out: DecisionExport = { since, records: [], skipped: [] };
  for (const p of first.values()) {
    const raw = await recordOf(db, p);
    if (typeof raw === 'string') {
      out.skipped.push({ proposalId: p.id, problem: raw });
      continue;
    }
    const checked = DecisionRecord.safeParse(raw);
    if (checked.success) out.records.push(checked.data);
    else out.skipped.push({ proposalId: p.id, problem: checked.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
  }
  return out;
}

/** The proposal's own audit rows: what it was made from, the model's prompt version, the decision's channel. */
async function auditOf(db: Executor, proposalId: string) {
  const rows = await db
    .select({ kind: sreActions.kind, payload: sreActions.payload })
    .from(sreActions)
    .where(and(eq(sreActions.proposalId, proposalId), inArray(sreActions.kind, ['proposal.created', 'reasoning.completed', 'proposal.approved', 'proposal.rejected'])))
    .orderBy(asc(sreActions.seq));
  const of = (kind: string) => rows.find((r) => r.kind === kind)?.payload;
  return { created: of('proposal.created') ?? {}, trace: of('reasoning.completed'), decision: of('proposal.approved') ?? of('proposal.rejected') };
}

/** The line for one decided proposal, or why there cannot be one. */
async function recordOf(db: Executor, p: ProposalRow): Promise<Json | string> {
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, p.incidentId)).limit(1);
  if (!incident) return `its incident ${p.incidentId} is not in the database`;
  const audit = await auditOf(db, p.id);
  const evidence = (audit.created.evidence ?? {}) as Json;
  const reads = GatewayRead.array().safeParse(audit.created.gateway_reads);
  const approvals = await db.select().from(proposalApprovals).where(eq(proposalApprovals.proposalId, p.id)).orderBy(asc(proposalApprovals.seq));
  const version = audit.trace?.system_prompt_version;
  return {
    version: DECISION_RECORD_VERSION,
    incident: {
      id: incident.id,
      key: incident.key,
      type: incident.type,
      subject: incident.subject,
      first_seen: typeof evidence.first_seen === 'string' ? evidence.first_seen : iso(incident.firstSeen),
      last_seen: typeof evidence.last_seen === 'string' ? evidence.last_seen : iso(p.createdAt),
      event_count: typeof evidence.event_count === 'number' ? evidence.event_count : incident.eventCount,
      first: (evidence.first_event_data as Json | undefined) ?? incident.first,
      latest: (evidence.latest_event_data as Json | undefined) ?? incident.latest,
    },
    events: await eventsOf(db, p, evidence.recent_event_ids),
    gateway_reads: reads.success ? reads.data : null,
    history: await historyOf(db, p, incident.key),
    past_incidents: (await pastIncidentsOf(db, incident)).map(pastIncidentLine),
    proposal: {
      id: p.id,
      created_at: iso(p.createdAt),
      action: p.action,
      target: p.target,
      params: p.params,
      risk_score: p.riskScore,
      risk_factors: p.riskFactors,
      route: p.route,
      reasoner: p.reasoner,
      prompt_version: p.reasoner === 'claude' && typeof version === 'string' ? version : null,
      fallback_reason: p.fallbackReason,
      runbook: p.runbook ?? null,
      revision: audit.created.revision === true,
      mode: p.mode === 'shadow' ? 'shadow' : 'live',
    },
    decision: {
      decision: p.status === 'rejected' ? 'rejected' : 'approved',
      by: p.decidedBy ?? '',
      via: typeof audit.decision?.channel === 'string' ? audit.decision.channel : (p.decidedVia ?? ''),
      at: iso(p.decidedAt ?? p.updatedAt),
      reason: p.status === 'rejected' ? p.decisionReason : null,
      approvals: approvals.map((a) => ({ by: a.name, via: a.via, at: iso(a.at) })),
    },
  };
}

/** The events the proposal names (newest first); for a proposal recorded without them, the incident's last ten before it. */
async function eventsOf(db: Executor, p: ProposalRow, ids: unknown) {
  const named = Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : undefined;
  const rows = named
    ? named.length === 0
      ? []
      : await db.select().from(events).where(inArray(events.id, named))
    : await db.select().from(events).where(and(eq(events.incidentId, p.incidentId), lte(events.receivedAt, p.createdAt)));
  return rows
    .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime())
    .slice(0, 10)
    .map((e) => ({ id: e.id, occurred_at: iso(e.occurredAt), data: e.data }));
}

/**
 * Earlier proposals on the incident's key or the proposal's subject within 7 days, as they stood
 * when it was made: one decided later, or moved on later, was still pending then.
 */
async function historyOf(db: Executor, p: ProposalRow, key: string) {
  const sameKey = db.select({ id: incidents.id }).from(incidents).where(eq(incidents.key, key));
  const rows = await db
    .select()
    .from(proposals)
    .where(and(gte(proposals.createdAt, new Date(p.createdAt.getTime() - HISTORY_WINDOW_MS)), lt(proposals.createdAt, p.createdAt), or(inArray(proposals.incidentId, sameKey), eq(proposals.target, p.target))))
    .orderBy(desc(proposals.createdAt))
    .limit(50);
  const failed = await failedVerificationIds(db, rows.map((r) => r.id));
  const then = p.createdAt.getTime();
  const before = (d: Date | null) => d !== null && d.getTime() <= then;
  return rows.map((h) => {
    const settled = before(h.decidedAt) || h.updatedAt.getTime() < then;
    const checked = h.verificationCheckedAt ?? h.decidedAt;
    return {
      proposal_id: h.id,
      incident_id: h.incidentId,
      action: h.action,
      target: h.target,
      status: settled ? h.status : 'pending',
      created_at: iso(h.createdAt),
      decided_at: before(h.decidedAt) ? iso(h.decidedAt!) : null,
      decided_by: before(h.decidedAt) ? h.decidedBy : null,
      decision_reason: before(h.decidedAt) ? h.decisionReason : null,
      reverted: before(h.revertedAt),
      verification_failed_at: failed.has(h.id) && before(checked) ? iso(checked!) : null,
    };
  });
}
