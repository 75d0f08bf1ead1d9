import { and, gte, lte } from 'drizzle-orm';
import { schema } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { computeReport, parseSince, SINCE_HINT, type TuningReport } from '../domain/report.js';
import type { ServiceDeps } from './types.js';

const { proposals } = schema;

export const DEFAULT_REPORT_WINDOW = '30d';

/** The tuning report over proposals created since `since` (`30d`, `12h`, an ISO time): one query, then pure figures. */
export async function tuningReport(deps: Pick<ServiceDeps, 'db' | 'now'>, input: { since?: string }): Promise<TuningReport> {
  const label = (input.since ?? DEFAULT_REPORT_WINDOW).trim();
  const until = deps.now();
  const since = parseSince(label, until);
  if (!since) throw new DomainError('invalid', `since: ${SINCE_HINT}, got "${label.slice(0, 40)}"`, { field: 'since' });
  const rows = await deps.db
    .select({
      action: proposals.action,
      status: proposals.status,
      riskScore: proposals.riskScore,
      route: proposals.route,
      mode: proposals.mode,
      decidedVia: proposals.decidedVia,
      createdAt: proposals.createdAt,
      decidedAt: proposals.decidedAt,
      verificationStatus: proposals.verificationStatus,
    })
    .from(proposals)
    .where(and(gte(proposals.createdAt, since), lte(proposals.createdAt, until)));
  return computeReport(rows, { since, until, label });
}
