import { and, desc, eq, gte, inArray, lt, ne, or, sql } from 'drizzle-orm';
import { classifyEvidence, type FailureClass } from '../agent/evidence.js';
import { schema, type Executor } from '../db/client.js';
import type { ActionId } from '../domain/actions.js';
import { describeStored, type PastIncident } from '../domain/past-incidents.js';
import type { FailedVerification } from '../domain/risk.js';
import { reader } from './context.js';
import type { ServiceDeps } from './types.js';

/**
 * The past incidents a proposal is shown with (issue 19, item 5): the last few closed or decided
 * incidents on the same subject (its correlation key, or a proposal that targeted it) and of the
 * same failure class, each with what was proposed, who decided and whether verification passed.
 */

const { incidents, proposals, sreActions } = schema;
export const PAST_INCIDENTS = 3;
/** Candidates read before the failure class is compared in code: enough for three of one class. */
const CANDIDATES = 50;

type IncidentFields = Pick<typeof incidents.$inferSelect, 'id' | 'key' | 'openedAt' | 'latest'>;

/** The class of an incident's sample errors; 'unknown' without any (budget, SLA and latency incidents). */
export function failureClassOf(latest: Record<string, unknown>): FailureClass {
  const samples = Array.isArray(latest.sample_errors) ? latest.sample_errors.filter((s): s is string => typeof s === 'string') : [];
  return classifyEvidence({ sampleErrors: samples }).cls;
}

/** Proposals among these whose execution failed its verification (the audit trail says so, even after a revert). */
export async function failedVerificationIds(db: Executor, proposalIds: readonly string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (proposalIds.length === 0) return out;
  const rows = await db
    .select({ id: sreActions.proposalId, reason: sql<string | null>`${sreActions.payload}->>'reason'` })
    .from(sreActions)
    .where(and(eq(sreActions.kind, 'verification.failed'), inArray(sreActions.proposalId, [...proposalIds]), sql`coalesce(${sreActions.payload}->>'operation', 'execute') = 'execute'`));
  for (const r of rows) if (r.id) out.set(r.id, r.reason);
  return out;
}

/** The chosen proposal of an incident: its latest that was not superseded, else its latest. */
function chosen<T extends { incidentId: string; status: string }>(rows: readonly T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of rows) {
    const had = out.get(r.incidentId);
    if (!had || (had.status === 'superseded' && r.status !== 'superseded')) out.set(r.incidentId, r);
  }
  return out;
}

export async function pastIncidentsOf(db: Executor, incident: IncidentFields, limit = PAST_INCIDENTS): Promise<PastIncident[]> {
  const cls = failureClassOf(incident.latest);
  const targeted = db.select({ id: proposals.incidentId }).from(proposals).where(eq(proposals.target, incident.key));
  const candidates = await db
    .select({ id: incidents.id, status: incidents.status, openedAt: incidents.openedAt, closedAt: incidents.closedAt, latest: incidents.latest })
    .from(incidents)
    .where(and(ne(incidents.id, incident.id), lt(incidents.openedAt, incident.openedAt), or(eq(incidents.key, incident.key), inArray(incidents.id, targeted))))
    .orderBy(desc(incidents.openedAt), desc(incidents.id))
    .limit(CANDIDATES);
  const same = candidates.filter((c) => failureClassOf(c.latest) === cls);
  if (same.length === 0) return [];
  const rows = await db
    .select()
    .from(proposals)
    .where(inArray(proposals.incidentId, same.map((c) => c.id)))
    .orderBy(desc(proposals.createdAt), desc(proposals.id));
  const byIncident = chosen(rows);
  const picked = same
    .map((c) => ({ c, p: byIncident.get(c.id) }))
    .filter((x): x is { c: (typeof same)[number]; p: (typeof rows)[number] } => x.p !== undefined && (x.c.status === 'closed' || x.p.decidedAt !== null || x.p.status === 'expired'))
    .slice(0, limit);
  const failed = await failedVerificationIds(db, picked.map((x) => x.p.id));
  return picked.map(({ c, p }) => ({
    incidentId: c.id,
    openedAt: c.openedAt,
    closedAt: c.closedAt,
    failureClass: cls,
    proposalId: p.id,
    action: p.action as ActionId,
    target: p.target,
    described: describeStored(p.action, p.params),
    status: p.status,
    decidedBy: p.decidedBy,
    decidedVia: p.decidedVia,
    decidedAt: p.decidedAt,
    decisionReason: p.decisionReason,
    verification: p.verificationStatus,
    verificationFailed: failed.has(p.id),
    revertedBy: p.revertedBy,
  }));
}

/** The read model: the last incidents like this one, newest first; empty for an unknown incident. */
export async function pastIncidents(deps: Pick<ServiceDeps, 'db' | 'tx'>, input: { incidentId: string; limit?: number }): Promise<PastIncident[]> {
  const db = reader(deps);
  const [i] = await db.select({ id: incidents.id, key: incidents.key, openedAt: incidents.openedAt, latest: incidents.latest }).from(incidents).where(eq(incidents.id, input.incidentId)).limit(1);
  return i ? pastIncidentsOf(db, i, input.limit ?? PAST_INCIDENTS) : [];
}

/**
 * Executions of this action on this subject since `since` whose verification failed, newest first:
 * the facts of the `recent_failed_verification` risk factor.
 */
export async function recentFailedVerifications(db: Executor, input: { action: ActionId; subject: string; since: Date; excludeProposalId?: string | undefined }): Promise<FailedVerification[]> {
  const rows = await db
    .select({ id: proposals.id, createdAt: proposals.createdAt, decidedAt: proposals.decidedAt, checkedAt: proposals.verificationCheckedAt, revertedBy: proposals.revertedBy })
    .from(proposals)
    .where(and(eq(proposals.target, input.subject), eq(proposals.action, input.action), gte(proposals.createdAt, input.since), ne(proposals.verificationStatus, 'none')))
    .orderBy(desc(proposals.createdAt))
    .limit(50);
  const mine = rows.filter((r) => r.id !== input.excludeProposalId);
  const failed = await failedVerificationIds(db, mine.map((r) => r.id));
  return mine
    .filter((r) => failed.has(r.id))
    .map((r) => ({ action: input.action, target: input.subject, at: r.checkedAt ?? r.decidedAt ?? r.createdAt, reason: failed.get(r.id) ?? null, reverted: r.revertedBy !== null }));
}
