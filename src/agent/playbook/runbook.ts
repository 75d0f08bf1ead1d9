import { normalizeAction, type ActionId } from '../../domain/actions.js';
import { CLASS_ANSWER, classifyEvidence } from '../evidence.js';
import type { IncidentContext } from '../reasoner.js';
import type { Runbook } from '../runbooks/runbook.js';
import { operatorPlan, type Intent } from './operator.js';
import { pagePlan, type Plan } from './plan.js';
import type { Reads } from './reads.js';
import { clip, plain, REASON_MAX, SUMMARY_MAX } from './text.js';

/**
 * The playbook under a runbook: `prefer` reorders among the actions the playbook can build from
 * this incident without a warning (the first one that builds wins), `never` removes actions, and
 * a forbidden rule's choice becomes a page. It never builds an action the incident does not allow.
 */

const INTENT: Partial<Record<ActionId, Intent['kind']>> = {
  circuit_break_provider: 'circuit',
  reroute_model_group: 'reroute',
  raise_rate_limit: 'rate',
  bump_budget_cap: 'budget',
  page_oncall: 'page',
};

function note(rb: Runbook, plan: Plan, sentence: string): Plan {
  return { ...plan, sentences: [sentence, ...plan.sentences], rule: `runbook:${plan.rule}`, facts: { ...plan.facts, runbook: rb.path } };
}

async function build(action: ActionId, ctx: IncidentContext, reads: Reads, base: Plan): Promise<Plan | undefined> {
  const kind = INTENT[action];
  if (!kind) return undefined;
  const built = await operatorPlan({ kind, numbers: [] }, ctx, reads, () => Promise.resolve(base));
  if ('refusal' in built || built.facts.warning !== undefined || !normalizeAction(built.action, built.params).ok) return undefined;
  // Moving traffic is no answer to a failure that is not the provider's, whatever a runbook prefers.
  if ((action === 'circuit_break_provider' || action === 'reroute_model_group') && !movingHelps(ctx)) return undefined;
  const path = plain(ctxPath(ctx), 200);
  // The builders word their reasons for a thread request; here the runbook asked.
  const params =
    action === 'page_oncall'
      ? { ...built.params, summary: clip(`[sre-agent] ${plain(ctx.incident.type, 40)} on ${plain(ctx.incident.subject, 200)}: the runbook ${path} prefers a page`, SUMMARY_MAX), reason: clip(`the runbook ${path} prefers paging on-call`, REASON_MAX) }
      : { ...built.params, reason: clip(`preferred by the runbook ${path}`, REASON_MAX) };
  return { ...built, params, sentences: built.sentences.map((x) => x.replace(/ as asked/g, '')) };
}

function movingHelps(ctx: IncidentContext): boolean {
  const samples = Array.isArray(ctx.incident.latest.sample_errors) ? ctx.incident.latest.sample_errors.filter((x): x is string => typeof x === 'string') : [];
  return samples.length === 0 || CLASS_ANSWER[classifyEvidence({ sampleErrors: samples }).cls].moves !== 'none';
}

const ctxPath = (ctx: IncidentContext) => ctx.runbook?.path ?? '';

export async function followRunbook(ctx: IncidentContext, reads: Reads, plan: Plan): Promise<Plan> {
  const rb = ctx.runbook;
  if (!rb) return plan;
  const path = plain(rb.path, 200);
  for (const a of rb.prefer) {
    if (a === plan.action) return note(rb, plan, `The runbook ${path} prefers ${a}, which is also the playbook's own choice.`);
    const built = await build(a, ctx, reads, plan);
    if (built) return note(rb, built, `The runbook ${path} prefers ${rb.prefer.join(', then ')}; ${a} can be built from this incident, so it is proposed instead of ${plan.action}.`);
  }
  if (!rb.never.includes(plan.action)) {
    return rb.prefer.length > 0 ? note(rb, plan, `The runbook ${path} prefers ${rb.prefer.join(', ')}, none of which fits this incident; the playbook's own choice stands.`) : note(rb, plan, `The runbook ${path} applies and allows the playbook's choice.`);
  }
  return note(rb, pagePlan({
    severity: 'warning',
    summary: `[sre-agent] ${plain(ctx.incident.type, 40)} on ${plain(ctx.incident.subject, 200)}: the runbook ${path} forbids ${plan.action}`,
    reason: `the playbook chose ${plan.action}, which the runbook ${path} forbids`,
    sentences: [`The playbook would propose ${plan.action}, but the runbook forbids it (never), so a person is paged instead.`],
    rule: 'never:page',
    facts: { forbidden: plan.action },
  }), `The runbook ${path} applies.`);
}
