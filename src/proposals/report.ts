import { and, gte, lte, sql } from 'drizzle-orm';
import { schema } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { computeReport, parseSince, SINCE_HINT, type TuningReport } from '../domain/report.js';
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
  const keys = { action: p.action, status: p.status, riskScore: p.riskScore, route: p.route, mode: p.mode, decidedVia: p.decidedVia, verificationStatus: p.verificationStatus };
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
  return computeReport(rows, { since, until, label });
}
