import { SlaViolationData } from '../../domain/events.js';
import type { IncidentContext } from '../reasoner.js';
import { pagePlan, unreadable, type Plan, type Severity } from './plan.js';
import { plain } from './text.js';

/** How badly an SLA is missed, as a page severity; success rates may be fractions or percentages. */
export function slaSeverity(metric: string, target: number, observed: number): { severity: Severity; ratio: number } {
  let ratio: number;
  if (metric === 'success_rate') {
    const scale = target > 1 || observed > 1 ? 100 : 1;
    const allowed = scale - target;
    const failing = scale - observed;
    ratio = allowed > 0 ? failing / allowed : failing > 0 ? Number.POSITIVE_INFINITY : 1;
    const severity: Severity = ratio >= 10 ? 'critical' : ratio >= 4 ? 'error' : ratio > 1.5 ? 'warning' : 'info';
    return { severity, ratio };
  }
  ratio = target > 0 ? observed / target : observed > 0 ? Number.POSITIVE_INFINITY : 1;
  const severity: Severity = ratio >= 2 ? 'critical' : ratio >= 1.5 ? 'error' : ratio > 1.1 ? 'warning' : 'info';
  return { severity, ratio };
}

/** An SLA says that something is wrong, not what: page with a severity from the size of the miss; never hide it. */
export function slaViolation(ctx: IncidentContext): Plan {
  const parsed = SlaViolationData.safeParse(ctx.incident.latest);
  if (!parsed.success) return unreadable(ctx, 'the latest event data could not be read');
  const e = parsed.data;
  const sla = plain(e.sla_id, 100);
  const { severity, ratio } = slaSeverity(e.metric, e.target, e.observed);
  const team = e.team ? ` for team ${plain(e.team, 100)}` : '';
  const how = Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : 'far beyond';
  return pagePlan({
    severity,
    summary: `[sre-agent] SLA ${sla}${team} violated: ${e.metric} ${e.observed} vs target ${e.target}`,
    reason: `SLA ${sla} missed (${e.metric} ${e.observed} vs ${e.target}); severity ${severity} from the size of the miss`,
    sentences: [
      `Observed: SLA ${sla}${team} has ${e.metric} at ${e.observed} against a target of ${e.target} over ${e.window_seconds} s (${how} the allowed ${e.metric === 'success_rate' ? 'failure rate' : 'value'}).`,
      `Paging on-call with severity ${severity}, scaled to how far the SLA is missed, puts a human on the cause.`,
      `Disabling the SLA contract would only hide the breach from the customer's reporting and is not something the playbook proposes.`,
      `If nothing is done, the SLA stays breached and credits or penalties may accrue.`,
    ],
    rule: `sla.violation:${severity}`,
    facts: { sla_id: e.sla_id, team: e.team ?? null, metric: e.metric, ratio: Number.isFinite(ratio) ? ratio : null },
  });
}
