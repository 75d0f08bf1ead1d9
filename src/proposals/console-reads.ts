import { traceIdOf } from '../telemetry/index.js';
import { incidentTraceparent } from './trace.js';
import { and, asc, count, desc, eq, gte, inArray, isNotNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import { incidentCover, type IncidentSilence } from '../silences/index.js';
import { reader } from './context.js';
import { getProposal, listProposals } from './queries.js';
import type { ProposalView, ServiceDeps } from './types.js';

/** The read models of the console's SRE Agent pages: plain queries, no writes. */

export type AuditRow = typeof schema.sreActions.$inferSelect;

export type IncidentRow = typeof schema.incidents.$inferSelect;

export interface LatestProposal {
  id: string;
  status: string;
  action: string;
  target: string;
  riskScore: number;
  createdAt: Date;
}

export interface IncidentLine {
  incident: IncidentRow;
  latest?: LatestProposal;
}

export interface DaySummary {
  /** channel → decision → count, over the last 24 h (policy is the auto-approval). */
  decisions: { channel: string; approved: number; rejected: number }[];
  expired: number;
  autoExecuted: number;
  executions: { succeeded: number; failed: number };
  verification: { passed: number; failed: number; reverted: number; watching: number };
}

export interface OverviewData {
  pending: ProposalView[];
  open: IncidentLine[];
  recent: ProposalView[];
  day: DaySummary;
  dead: number;
}

const DAY_MS = 24 * 3_600_000;
const ACTIVE = ['pending', 'approved', 'executing'];

async function latestFor(db: Executor, incidentIds: string[]): Promise<Map<string, LatestProposal>> {
  const p = schema.proposals;
  if (incidentIds.length === 0) return new Map();
  const rows = await db
    .select({ id: p.id, incidentId: p.incidentId, status: p.status, action: p.action, target: p.target, riskScore: p.riskScore, createdAt: p.createdAt })
    .from(p)
    .where(inArray(p.incidentId, incidentIds))
    .orderBy(desc(p.createdAt), desc(p.id));
  const out = new Map<string, LatestProposal>();
  for (const r of rows) if (!out.has(r.incidentId)) out.set(r.incidentId, r);
  return out;
}

/** Pending first by risk (highest first), then the one that expires soonest. */
export function byUrgency(a: ProposalView, b: ProposalView): number {
  return b.risk_score - a.risk_score || a.expires_at.localeCompare(b.expires_at);
}

export async function loadDay(deps: Pick<ServiceDeps, 'db' | 'tx'>, input: { now: Date }): Promise<DaySummary> {
  const db = reader(deps);
  const { now } = input;
  const since = new Date(now.getTime() - DAY_MS);
  const a = schema.sreActions;
  const channel = sql<string>`coalesce(${a.payload}->>'channel', '')`;
  const e = schema.executions;
  const p = schema.proposals;
  // Independent reads: on PostgreSQL they run side by side; PGlite takes them in turn.
  const [decided, exe, auto, ver] = await Promise.all([
    db
      .select({ kind: a.kind, channel, n: count() })
      .from(a)
      .where(and(eq(a.source, 'sre-agent'), gte(a.occurredAt, since), inArray(a.kind, ['proposal.approved', 'proposal.rejected', 'proposal.expired'])))
      .groupBy(a.kind, channel),
    db
      .select({ status: e.status, n: count() })
      .from(e)
      .where(and(eq(e.operation, 'execute'), isNotNull(e.finishedAt), gte(e.finishedAt, since)))
      .groupBy(e.status),
    db
      .select({ n: count() })
      .from(p)
      .where(and(eq(p.decidedVia, 'policy'), gte(p.decidedAt, since), inArray(p.status, ['executing', 'succeeded', 'failed']))),
    db
      .select({ status: p.verificationStatus, n: count() })
      .from(p)
      .where(and(ne(p.verificationStatus, 'none'), or(eq(p.verificationStatus, 'pending'), gte(p.verificationCheckedAt, since))))
      .groupBy(p.verificationStatus),
  ]);
  const byChannel = new Map<string, { channel: string; approved: number; rejected: number }>();
  let expired = 0;
  for (const r of decided) {
    if (r.kind === 'proposal.expired') {
      expired += Number(r.n);
      continue;
    }
    const line = byChannel.get(r.channel) ?? { channel: r.channel, approved: 0, rejected: 0 };
    if (r.kind === 'proposal.approved') line.approved += Number(r.n);
    else line.rejected += Number(r.n);
    byChannel.set(r.channel, line);
  }
  const vn = (s: string) => Number(ver.find((v) => v.status === s)?.n ?? 0);
  return {
    decisions: [...byChannel.values()].sort((x, y) => y.approved + y.rejected - (x.approved + x.rejected)),
    expired,
    autoExecuted: Number(auto[0]?.n ?? 0),
    executions: { succeeded: Number(exe.find((r) => r.status === 'succeeded')?.n ?? 0), failed: Number(exe.find((r) => r.status === 'failed')?.n ?? 0) },
    verification: { passed: vn('passed'), failed: vn('failed'), reverted: vn('reverted'), watching: vn('pending') },
  };
}

export async function loadOverview(deps: ServiceDeps, input: { now: Date }): Promise<OverviewData> {
  const { now } = input;
  const db = reader(deps);
  const i = schema.incidents;
  const [pending, openRows, recent, dead, day] = await Promise.all([
    listProposals(deps, { status: 'pending', limit: 100 }),
    db.select().from(i).where(eq(i.status, 'open')).orderBy(desc(i.lastSeen)).limit(100),
    listProposals(deps, { limit: 30 }),
    db.select({ n: count() }).from(schema.outbox).where(eq(schema.outbox.status, 'dead')),
    loadDay(deps, { now }),
  ]);
  const latest = await latestFor(db, openRows.map((r) => r.id));
  return {
    pending: pending.sort(byUrgency),
    open: openRows.map((incident) => ({ incident, latest: latest.get(incident.id) })),
    recent: recent.filter((p) => !ACTIVE.includes(p.status)).slice(0, 12),
    day,
    dead: Number(dead[0]?.n ?? 0),
  };
}

export const INCIDENT_STATUSES = ['open', 'closed', 'all'] as const;
export const INCIDENT_WINDOWS: Record<string, number | undefined> = { '1h': 3_600_000, '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS, all: undefined };
export const INCIDENT_PAGE_ROWS = 200;


export interface IncidentQuery {
  status: string;
  type: string;
  since: string;
}

export async function loadIncidents(deps: Pick<ServiceDeps, 'db' | 'tx'>, input: { query: IncidentQuery; now: Date }): Promise<IncidentLine[]> {
  const db = reader(deps);
  const { query: q, now } = input;
  const i = schema.incidents;
  const where = [];
  if (q.status !== 'all') where.push(eq(i.status, q.status));
  if (q.type !== 'all') where.push(eq(i.type, q.type));
  const window = INCIDENT_WINDOWS[q.since];
  if (window !== undefined) where.push(gte(i.lastSeen, new Date(now.getTime() - window)));
  const rows = await db
    .select()
    .from(i)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(i.lastSeen), desc(i.id))
    .limit(INCIDENT_PAGE_ROWS);
  const latest = await latestFor(db, rows.map((r) => r.id));
  return rows.map((incident) => ({ incident, latest: latest.get(incident.id) }));
}

export interface ProposalPageData {
  proposal: ProposalView;
  timeline: AuditRow[];
  others: ProposalView[];
  /** The silence covering its incident now (and so holding the proposal while pending); null when none. */
  silence?: IncidentSilence | null;
  /** The incident's trace id (tracing was on when it opened), for the console's SRE_TRACE_URL link. */
  traceId?: string;
}

/**
 * The silence covering an open incident now, by the same check that holds its proposals (the
 * gate's); null when none does or the incident is closed.
 */
export async function incidentSilence(deps: ServiceDeps, incidentId: string): Promise<IncidentSilence | null> {
  const ex = reader(deps);
  const [inc] = await ex.select({ status: schema.incidents.status }).from(schema.incidents).where(eq(schema.incidents.id, incidentId));
  if (inc?.status !== 'open') return null;
  const cover = await incidentCover(ex, deps, incidentId);
  return cover ? { id: cover.id, until: cover.until.toISOString(), by: cover.by, reason: cover.reason } : null;
}

export async function loadProposal(deps: ServiceDeps, input: { id: string }): Promise<ProposalPageData | undefined> {
  const { id } = input;
  const proposal = await getProposal(deps, id, { past: true });
  if (!proposal) return undefined;
  const t = schema.sreActions;
  const timeline = await reader(deps).select().from(t).where(eq(t.incidentId, proposal.incident_id)).orderBy(asc(t.seq)).limit(500);
  const others = await listProposals(deps, { incidentId: proposal.incident_id, limit: 20 });
  const traceId = traceIdOf(await incidentTraceparent(reader(deps), { incidentId: proposal.incident_id }));
  return { proposal, timeline, others, silence: await incidentSilence(deps, proposal.incident_id), ...(traceId ? { traceId } : {}) };
}

/** An incident's trace id (undefined when it was opened with tracing off, or does not exist). */
export async function incidentTraceId(deps: Pick<ServiceDeps, 'db' | 'tx'>, input: { incidentId: string }): Promise<string | undefined> {
  return traceIdOf(await incidentTraceparent(reader(deps), input));
}

/** The audit log page: the newest rows matching the filter. */
export async function listAuditRows(deps: Pick<ServiceDeps, 'db' | 'tx'>, input: { where: SQL[]; limit: number }): Promise<AuditRow[]> {
  const t = schema.sreActions;
  return reader(deps).select().from(t).where(and(...input.where)).orderBy(desc(t.seq)).limit(input.limit);
}

/** Notifications that gave up (dead outbox rows), newest first. */
export async function deadNotifications(deps: Pick<ServiceDeps, 'db' | 'tx'>, input: { limit: number }): Promise<(typeof schema.outbox.$inferSelect)[]> {
  const o = schema.outbox;
  return reader(deps).select().from(o).where(eq(o.status, 'dead')).orderBy(desc(o.id)).limit(input.limit);
}
