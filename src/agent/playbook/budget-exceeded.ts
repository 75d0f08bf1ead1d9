import { BudgetExceededData } from '../../domain/events.js';
import type { IncidentContext } from '../reasoner.js';
import { pagePlan, unreadable, type Plan, type Severity } from './plan.js';
import type { Reads } from './reads.js';
import { pct, plain } from './text.js';

/** Money is a human's decision: a hard limit pages with severity error, a soft one warns or informs. */
export async function budgetExceeded(ctx: IncidentContext, reads: Reads): Promise<Plan> {
  const parsed = BudgetExceededData.safeParse(ctx.incident.latest);
  if (!parsed.success) return unreadable(ctx, 'the latest event data could not be read');
  const e = parsed.data;
  const who = `${e.scope} ${plain(e.scope_id, 100)}`;
  const budget = await reads.budget(e.scope, e.scope_id);
  const over = e.limit_usd > 0 ? e.spend_usd / e.limit_usd : Number.POSITIVE_INFINITY;
  const sentences = [
    `Observed: ${who} spent $${e.spend_usd.toFixed(2)} against its ${e.limit_kind} limit of $${e.limit_usd.toFixed(2)} for ${plain(e.period, 40)} (${Number.isFinite(over) ? pct(over) : 'no limit'} of it).`,
  ];
  if (budget) sentences.push(`The gateway reports a hard cap of $${budget.hard_limit_usd.toFixed(2)}.`);
  const facts: Record<string, unknown> = { scope: e.scope, scope_id: e.scope_id, limit_kind: e.limit_kind, over, hard_limit_usd: budget?.hard_limit_usd ?? null };
  let severity: Severity;
  if (e.limit_kind === 'hard') {
    severity = 'error';
    sentences.push(
      `A hard limit is reached, so the gateway is refusing ${who}'s requests; raising the cap would spend money, which the agent never decides on its own.`,
      `Paging on-call (error) lets a human choose between bumping the cap (bump_budget_cap, at most +50 %, high risk) and letting the limit hold.`,
      `If nothing is done, ${who} stays blocked until the period ends.`,
    );
  } else {
    severity = over >= 1.25 ? 'warning' : 'info';
    sentences.push(
      `Only a soft limit is crossed: nothing is blocked yet, so a ${severity} page is enough for a human to check the spending.`,
      `The alternative, bumping the cap, spends money without need and is never done without a human.`,
      `If nothing is done, spending continues and may reach the hard cap.`,
    );
  }
  return pagePlan({
    severity,
    summary: `[sre-agent] ${who} ${e.limit_kind} budget exceeded: $${e.spend_usd.toFixed(2)} of $${e.limit_usd.toFixed(2)} (${plain(e.period, 40)})`,
    reason: `${e.limit_kind} budget limit of ${who} exceeded; money decisions are left to a human`,
    sentences,
    rule: `budget.exceeded:${e.limit_kind}`,
    facts,
  });
}
