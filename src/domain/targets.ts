import type { ActionRequest } from './actions.js';
import type { EventType } from './events.js';

/**
 * Which targets an incident may name. The model and operators propose; only targets drawn from
 * the incident (or the gateway's reads of it) are accepted, whatever any text says.
 */
export interface IncidentTargets {
  providers: string[];
  modelGroups: string[];
  teams: string[];
  slas: string[];
  budgets: { scope: 'team' | 'org'; scopeId: string }[];
}

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? [v] : []);

export function targetsOf(type: EventType, data: Record<string, unknown>, extra: { alternatives?: string[] } = {}): IncidentTargets {
  const t: IncidentTargets = { providers: [], modelGroups: [], teams: [], slas: [], budgets: [] };
  switch (type) {
    case 'provider.unhealthy':
    case 'latency.spike':
      t.providers.push(...str(data.provider), ...(extra.alternatives ?? []));
      t.modelGroups.push(...str(data.model_group));
      break;
    case 'budget.exceeded':
      if ((data.scope === 'team' || data.scope === 'org') && typeof data.scope_id === 'string') {
        t.budgets.push({ scope: data.scope, scopeId: data.scope_id });
        if (data.scope === 'team') t.teams.push(data.scope_id);
      }
      break;
    case 'sla.violation':
      t.slas.push(...str(data.sla_id));
      t.teams.push(...str(data.team));
      break;
  }
  return t;
}

/** Undefined when the request stays within the incident's targets, else the reason it does not. */
export function targetProblem(request: ActionRequest, targets: IncidentTargets): string | undefined {
  const r = request;
  switch (r.action) {
    case 'circuit_break_provider':
      return targets.providers[0] === r.params.provider ? undefined : `provider ${r.params.provider} is not the incident's provider`;
    case 'reroute_model_group':
      if (!targets.modelGroups.includes(r.params.model_group)) return `model group ${r.params.model_group} is not in the incident`;
      if (!targets.providers.includes(r.params.provider)) return `provider ${r.params.provider} is not a known alternative of ${r.params.model_group}`;
      return undefined;
    case 'raise_rate_limit':
      return targets.teams.includes(r.params.team) ? undefined : `team ${r.params.team} is not in the incident`;
    case 'bump_budget_cap':
      return targets.budgets.some((b) => b.scope === r.params.scope && b.scopeId === r.params.scope_id) ? undefined : `budget ${r.params.scope}/${r.params.scope_id} is not in the incident`;
    case 'disable_sla_contract':
      return targets.slas.includes(r.params.sla_id) ? undefined : `SLA ${r.params.sla_id} is not in the incident`;
    case 'disable_guardrail_rule':
      return 'no guardrail rule is named by this incident';
    case 'page_oncall':
      return undefined;
  }
}
