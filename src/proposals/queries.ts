import { and, desc, eq, gte, inArray, or } from 'drizzle-orm';
import type { IncidentContext } from '../agent/reasoner.js';
import { schema, type Executor } from '../db/client.js';
import type { ActionId } from '../domain/actions.js';
import type { EventType } from '../domain/events.js';
import { pastIncidentView } from '../domain/past-incidents.js';
import { reader } from './context.js';
import { pastIncidentsOf } from './past-incidents.js';
import type { ProposalView, ServiceDeps } from './types.js';
import { readSwitch } from './kill-switch.js';
import { toView, type ApprovalRow } from './view.js';

const { proposals, incidents, events, proposalApprovals } = schema;

async function approvalsOf(db: Executor, ids: string[]): Promise<Map<string, ApprovalRow[]>> {
  const out = new Map<string, ApprovalRow[]>();
  if (ids.length === 0) return out;
  const rows = await db.select().from(proposalApprovals).where(inArray(proposalApprovals.proposalId, ids));
  for (const r of rows) out.set(r.proposalId, [...(out.get(r.proposalId) ?? []), r]);
  return out;
}

export interface ProposalQuery {
  status?: string | undefined;
  incidentId?: string | undefined;
  limit?: number | undefined;
}

type ReadDeps = Pick<ServiceDeps, 'db' | 'tx' | 'publicBaseUrl'>;

/** Proposals as JSON (CONTRACT.md), newest first. */
export async function listProposals(deps: ReadDeps, filter: ProposalQuery = {}): Promise<ProposalView[]> {
  const db = reader(deps);
  const publicBaseUrl = deps.publicBaseUrl;
  const where = [];
  if (filter.status) where.push(eq(proposals.status, filter.status));
  if (filter.incidentId) where.push(eq(proposals.incidentId, filter.incidentId));
  const rows = await db
    .select()
    .from(proposals)
    .innerJoin(incidents, eq(incidents.id, proposals.incidentId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(proposals.createdAt), desc(proposals.id))
    .limit(Math.min(filter.limit ?? 100, 1000));
  const sw = await readSwitch(db);
  const approvals = await approvalsOf(db, rows.map((r) => r.proposals.id));
  return rows.map((r) => toView(r.proposals, r.incidents, publicBaseUrl, sw, approvals.get(r.proposals.id)));
}

/**
 * One proposal as JSON. `past: true` (GET /v1/proposals/:id, the card, the webhook, the console
 * page) adds its past incidents, three more reads; the decision path leaves them out.
 */
export async function getProposal(deps: ReadDeps, id: string, opts: { past?: boolean } = {}): Promise<ProposalView | undefined> {
  const db = reader(deps);
  const publicBaseUrl = deps.publicBaseUrl;
  const [r] = await db
    .select()
    .from(proposals)
    .innerJoin(incidents, eq(incidents.id, proposals.incidentId))
    .where(eq(proposals.id, id))
    .limit(1);
  if (!r) return undefined;
  const [sw, approvals] = [await readSwitch(db), await approvalsOf(db, [id])];
  const view = toView(r.proposals, r.incidents, publicBaseUrl, sw, approvals.get(id));
  if (!opts.past) return view;
  return { ...view, past_incidents: (await pastIncidentsOf(db, r.incidents)).map(pastIncidentView) };
}

export async function getIncident(db: Executor, id: string) {
  const [i] = await db.select().from(incidents).where(eq(incidents.id, id)).limit(1);
  return i;
}

const HISTORY_WINDOW_MS = 7 * 24 * 3_600_000;

/** What a reasoner and the risk scorer know about an incident: itself, recent events, history. */
export async function loadIncidentContext(db: Executor, incidentId: string, now: Date): Promise<IncidentContext | undefined> {
  const incident = await getIncident(db, incidentId);
  if (!incident) return undefined;
  const recent = await db
    .select({ id: events.id, occurredAt: events.occurredAt, data: events.data })
    .from(events)
    .where(eq(events.incidentId, incidentId))
    .orderBy(desc(events.occurredAt))
    .limit(10);
  const sameKey = await db.select({ id: incidents.id }).from(incidents).where(eq(incidents.key, incident.key));
  const ids = sameKey.map((r) => r.id);
  const past = await db
    .select()
    .from(proposals)
    .where(and(gte(proposals.createdAt, new Date(now.getTime() - HISTORY_WINDOW_MS)), or(inArray(proposals.incidentId, ids))))
    .orderBy(desc(proposals.createdAt))
    .limit(50);
  const pending = past.find((p) => p.incidentId === incidentId && p.status === 'pending');
  return {
    incident: {
      id: incident.id,
      key: incident.key,
      type: incident.type as EventType,
      subject: incident.subject,
      status: incident.status,
      firstSeen: incident.firstSeen,
      lastSeen: incident.lastSeen,
      eventCount: incident.eventCount,
      latest: incident.latest,
      first: incident.first,
    },
    recentEvents: recent,
    history: past.map((p) => ({
      proposalId: p.id,
      incidentId: p.incidentId,
      action: p.action as ActionId,
      target: p.target,
      status: p.status,
      createdAt: p.createdAt,
      decidedBy: p.decidedBy,
      decisionReason: p.decisionReason,
      reverted: p.revertedAt !== null,
    })),
    pastIncidents: await pastIncidentsOf(db, incident),
    pending: pending ? { id: pending.id, action: pending.action as ActionId, params: pending.params, riskScore: pending.riskScore } : undefined,
    now,
  };
}

/** Proposals on a target in the look-back window, for the repetition and rejection heuristics. */
export async function targetHistory(db: Executor, target: string, since: Date) {
  return db
    .select({
      id: proposals.id,
      action: proposals.action,
      target: proposals.target,
      status: proposals.status,
      createdAt: proposals.createdAt,
      decidedAt: proposals.decidedAt,
      decisionReason: proposals.decisionReason,
    })
    .from(proposals)
    .where(and(eq(proposals.target, target), gte(proposals.createdAt, since)))
    .orderBy(desc(proposals.createdAt))
    .limit(50);
}
