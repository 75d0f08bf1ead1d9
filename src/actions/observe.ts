import type { ActionRequest } from '../domain/actions.js';
import type { GatewayReads } from './gateway.js';

/**
 * Whether a write's effect is visible through the reads, for reconciling an execution whose answer
 * was lost (a crash, or a 409 on a re-send after the admin-api forgot the Idempotency-Key).
 * 'unknown' when the reads cannot tell (guardrails, SLAs, pages, an expired circuit, a third value).
 */
export type Observed = 'applied' | 'not_applied' | 'unknown';

export async function observeEffect(reads: GatewayReads, req: ActionRequest, now: Date): Promise<Observed> {
  switch (req.action) {
    case 'circuit_break_provider': {
      const p = await reads.getProvider(req.params.provider);
      const until = p?.circuit_open_until ? Date.parse(p.circuit_open_until) : NaN;
      return until > now.getTime() ? 'applied' : 'unknown';
    }
    case 'reroute_model_group': {
      const g = await reads.getModelGroup(req.params.model_group);
      return g?.provider === req.params.provider ? 'applied' : g?.provider === req.params.previous_provider ? 'not_applied' : 'unknown';
    }
    case 'raise_rate_limit': {
      const t = await reads.getTeam(req.params.team);
      const v = t?.requests_per_minute;
      return v === req.params.requests_per_minute ? 'applied' : v === req.params.previous ? 'not_applied' : 'unknown';
    }
    case 'bump_budget_cap': {
      const b = await reads.getBudget(req.params.scope, req.params.scope_id);
      const v = b?.hard_limit_usd;
      return v === req.params.hard_limit_usd ? 'applied' : v === req.params.previous ? 'not_applied' : 'unknown';
    }
    case 'disable_guardrail_rule': {
      const g = reads.getGuardrail ? await reads.getGuardrail(req.params.rule) : undefined;
      return g === undefined ? 'unknown' : g.enabled ? 'not_applied' : 'applied';
    }
    case 'disable_sla_contract': {
      const s = reads.getSla ? await reads.getSla(req.params.sla_id) : undefined;
      return s === undefined ? 'unknown' : s.enabled ? 'not_applied' : 'applied';
    }
    case 'page_oncall':
      return 'unknown';
  }
}
