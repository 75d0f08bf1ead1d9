import { and, gte, lte, sql } from 'drizzle-orm';
import { queryRows, schema, type Executor } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { computeReport, parseSince, SINCE_HINT, type ReportExtras, type TuningReport } from '../domain/report.js';
import type { ServiceDeps } from './types.js';

const { proposals: p } = schema;

export const DEFAULT_REPORT_WINDOW = '30d';

/**
 * The tuning report over proposals created since `since` (`30d`, `12h`, an ISO time). One query
 * groups them by what the report looks at; the figures are computed in domain/report.ts.
 */
export async function tuningReport(deps: Pick<ServiceDeps, 'db' | 'clock'>, input: { since?: string }): Promise<TuningReport> {
  const label = (input.since ?? DEFAULT_REPORT_WINDOW).trim();
  const until = deps.clock.now();
  const since = parseSince(label, until);
  if (!since) throw new DomainError('invalid', `since: ${SINCE_HINT}, got "${label.slice(0, 40)}"`, { field: 'since' });
  // Claude's prompt version is in its reasoning trace, the proposal's `reasoning.completed` row.
  const promptVersion = sql<string | null>`(case when ${p.reasoner} = 'claude' then (select a.payload->>'system_prompt_version' from sre_actions a where a.proposal_id = ${p.id} and a.kind = 'reasoning.completed' order by a.seq limit 1) end)`;
  const keys = { action: p.action, status: p.status, riskScore: p.riskScore, route: p.route, mode: p.mode, decidedVia: p.decidedVia, verificationStatus: p.verificationStatus, reasoner: p.reasoner, promptVersion };
  const groups = await deps.db
    .select({
      ...keys,
      count: sql<number>`count(*)::int`,
      decisionMs: sql<(number | string)[] | null>`array_agg(extract(epoch from ${p.decidedAt} - ${p.createdAt})::float8 * 1000) filter (where ${p.decidedAt} is not null)`,
    })
    .from(p)
    .where(and(gte(p.createdAt, since), lte(p.createdAt, until)))
    .groupBy(...Object.values(keys));
  const rows = groups.map((g) => ({ ...g, count: Number(g.count), decisionMs: (g.decisionMs ?? []).map((ms) => Math.round(Number(ms))) }));
  const [timings, incidents] = await Promise.all([responseTimings(deps.db, since, until), closedIncidents(deps.db, since, until)]);
  return computeReport(rows, { since, until, label }, { timings, incidents });
}

/**
 * Each proposal's steps measured from its incident's `incident.opened` row, all on the audit
 * trail's one clock (the database's): the first proposal.created, decision, execution outcome
 * (or shadow skip) and verification of the execution.
 */
async function responseTimings(db: Executor, since: Date, until: Date): Promise<ReportExtras['timings']> {
  const first = (where: ReturnType<typeof sql>) => sql`(select min(a.occurred_at) from sre_actions a where a.proposal_id = ps.id and ${where})`;
  // Whole milliseconds of each stamp, as a reader of the trail (or of its CSV) counts them.
  const ms = (at: ReturnType<typeof sql>) => sql`(floor(extract(epoch from ${at}) * 1000) - floor(extract(epoch from o.opened) * 1000))::float8`;
  const rows = await queryRows<{ action: string; to_proposal: number | null; to_decision: number | null; to_execution: number | null; to_verification: number | null }>(
    db,
    sql`with ps as (select id, action, incident_id from proposals where created_at >= ${since.toISOString()}::timestamptz and created_at <= ${until.toISOString()}::timestamptz)
        select ps.action,
               ${ms(first(sql`a.kind = 'proposal.created'`))} as to_proposal,
               ${ms(first(sql`a.kind in ('proposal.approved', 'proposal.rejected')`))} as to_decision,
               ${ms(first(sql`a.kind in ('execution.succeeded', 'execution.failed', 'execution.skipped') and coalesce(a.payload->>'operation', 'execute') = 'execute'`))} as to_execution,
               ${ms(first(sql`a.kind in ('verification.passed', 'verification.failed')`))} as to_verification
        from ps cross join lateral (select min(occurred_at) as opened from sre_actions a where a.incident_id = ps.incident_id and a.kind = 'incident.opened') o
        where o.opened is not null`,
  );
  const n = (v: number | string | null) => (v === null ? undefined : Math.max(0, Math.round(Number(v))));
  return rows.map((r) => ({ action: r.action, toProposal: n(r.to_proposal), toDecision: n(r.to_decision), toExecution: n(r.to_execution), toVerification: n(r.to_verification) }));
}

/** Incidents opened in the window that have closed, and those of them with no execution that succeeded. */
async function closedIncidents(db: Executor, since: Date, until: Date): Promise<ReportExtras['incidents']> {
  const [r] = await queryRows<{ closed: number; without: number }>(
    db,
    sql`select count(*)::int as closed,
               count(*) filter (where not exists (select 1 from proposals p join executions e on e.proposal_id = p.id
                                                  where p.incident_id = i.id and e.operation = 'execute' and e.status = 'succeeded'))::int as without
        from incidents i where i.status = 'closed' and i.opened_at >= ${since.toISOString()}::timestamptz and i.opened_at <= ${until.toISOString()}::timestamptz`,
  );
  return { closed: Number(r?.closed ?? 0), closed_without_action: Number(r?.without ?? 0) };
}
