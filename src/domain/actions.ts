import { z } from 'zod';

/**
 * The curated action library (CONTRACT.md "Action library"). Each action declares its parameter
 * schema, hard bounds (enforced by `normalize`, which clamps and says so), baseline risk, whether it
 * can be undone, and the admin-api calls that do and undo it. Pure data and functions: no I/O.
 */

export const ACTION_IDS = [
  'circuit_break_provider',
  'reroute_model_group',
  'raise_rate_limit',
  'page_oncall',
  'disable_guardrail_rule',
  'bump_budget_cap',
  'disable_sla_contract',
] as const;
export const ActionId = z.enum(ACTION_IDS);
export type ActionId = z.infer<typeof ActionId>;

export const MAX_CIRCUIT_BREAK_SECONDS = 300;
export const MAX_RATE_LIMIT_FACTOR = 1.5;
export const MAX_BUDGET_FACTOR = 1.5;

const reason = z.string().trim().min(1).max(500);
const target = z.string().trim().min(1).max(200);

export const CircuitBreakParams = z.strictObject({
  provider: target,
  duration_seconds: z.number().int().positive(),
  reason,
});
export const RerouteParams = z.strictObject({
  model_group: target,
  provider: target,
  previous_provider: target,
  reason,
});
export const RaiseRateLimitParams = z.strictObject({
  team: target,
  requests_per_minute: z.number().int().positive(),
  previous: z.number().int().positive(),
  reason,
});
export const PageOncallParams = z.strictObject({
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  summary: z.string().trim().min(1).max(1024),
  reason,
});
export const DisableGuardrailParams = z.strictObject({ rule: target, reason });
export const BumpBudgetParams = z.strictObject({
  scope: z.enum(['team', 'org']),
  scope_id: target,
  hard_limit_usd: z.number().positive(),
  previous: z.number().positive(),
  reason,
});
export const DisableSlaParams = z.strictObject({ sla_id: target, reason });

export const ActionParams = {
  circuit_break_provider: CircuitBreakParams,
  reroute_model_group: RerouteParams,
  raise_rate_limit: RaiseRateLimitParams,
  page_oncall: PageOncallParams,
  disable_guardrail_rule: DisableGuardrailParams,
  bump_budget_cap: BumpBudgetParams,
  disable_sla_contract: DisableSlaParams,
} as const;
export type ParamsOf<A extends ActionId> = z.infer<(typeof ActionParams)[A]>;
export type AnyParams = { [A in ActionId]: ParamsOf<A> }[ActionId];

/** An HTTP call to the admin-api, described as data so the real client and the simulator share it. */
export interface AdminCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: Record<string, unknown>;
}

/** A clamp or correction applied to raw parameters, kept in the audit trail. */
export interface Adjustment {
  field: string;
  from: unknown;
  to: unknown;
  reason: string;
}

export type Normalized<P> = { ok: true; params: P; adjustments: Adjustment[] } | { ok: false; problems: string[] };

export interface ActionSpec<A extends ActionId> {
  id: A;
  title: string;
  baseline: number;
  reversible: boolean;
  /** How the change ends: restores itself, needs a revert, or cannot be undone. */
  undo: 'auto-restores' | 'revert' | 'one-shot';
  schema: (typeof ActionParams)[A];
  /** The thing acted upon, for repetition and rejection look-ups ("provider:openai"). */
  target(p: ParamsOf<A>): string;
  /** 0 (smallest change) … 1 (at the hard bound). */
  magnitude(p: ParamsOf<A>): number;
  /** Validates, then clamps to hard bounds; every clamp is reported. */
  normalize(raw: unknown): Normalized<ParamsOf<A>>;
  /** The admin-api call; undefined for page_oncall (PagerDuty). */
  call(p: ParamsOf<A>): AdminCall | undefined;
  /** The inverse call, where the action is reversible. */
  inverse(p: ParamsOf<A>): AdminCall | undefined;
  describe(p: ParamsOf<A>): string;
}

const enc = encodeURIComponent;

function parseWith<A extends ActionId>(id: A, raw: unknown): { ok: true; value: ParamsOf<A> } | { ok: false; problems: string[] } {
  const r = ActionParams[id].safeParse(raw);
  if (r.success) return { ok: true, value: r.data as ParamsOf<A> };
  return { ok: false, problems: r.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`) };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

const circuitBreak: ActionSpec<'circuit_break_provider'> = {
  id: 'circuit_break_provider',
  title: 'Circuit-break a provider',
  baseline: 15,
  reversible: true,
  undo: 'auto-restores',
  schema: CircuitBreakParams,
  target: (p) => `provider:${p.provider}`,
  magnitude: (p) => Math.min(1, p.duration_seconds / MAX_CIRCUIT_BREAK_SECONDS),
  normalize(raw) {
    const pre = preClampNumber(raw, 'duration_seconds', 1, MAX_CIRCUIT_BREAK_SECONDS, 'circuit-break lasts at most 300 s');
    const r = parseWith('circuit_break_provider', pre.value);
    return r.ok ? { ok: true, params: r.value, adjustments: pre.adjustments } : r;
  },
  call: (p) => ({
    method: 'POST',
    path: `/v1/providers/${enc(p.provider)}/circuit-breaker`,
    body: { duration_seconds: p.duration_seconds, reason: p.reason },
  }),
  inverse: (p) => ({ method: 'DELETE', path: `/v1/providers/${enc(p.provider)}/circuit-breaker` }),
  describe: (p) => `circuit-break ${p.provider} for ${p.duration_seconds}s`,
};

const reroute: ActionSpec<'reroute_model_group'> = {
  id: 'reroute_model_group',
  title: 'Re-route a model group',
  baseline: 25,
  reversible: true,
  undo: 'revert',
  schema: RerouteParams,
  target: (p) => `model_group:${p.model_group}`,
  magnitude: () => 1,
  normalize(raw) {
    const r = parseWith('reroute_model_group', raw);
    if (!r.ok) return r;
    if (r.value.provider === r.value.previous_provider) {
      return { ok: false, problems: ['provider: must differ from previous_provider'] };
    }
    return { ok: true, params: r.value, adjustments: [] };
  },
  call: (p) => ({
    method: 'PUT',
    path: `/v1/model-groups/${enc(p.model_group)}/routing`,
    body: { provider: p.provider, previous_provider: p.previous_provider, reason: p.reason },
  }),
  inverse: (p) => ({
    method: 'PUT',
    path: `/v1/model-groups/${enc(p.model_group)}/routing`,
    body: { provider: p.previous_provider, previous_provider: p.provider, reason: `revert: ${p.reason}`.slice(0, 500) },
  }),
  describe: (p) => `re-route ${p.model_group} from ${p.previous_provider} to ${p.provider}`,
};

const raiseRateLimit: ActionSpec<'raise_rate_limit'> = {
  id: 'raise_rate_limit',
  title: "Raise one team's rate limit",
  baseline: 30,
  reversible: true,
  undo: 'revert',
  schema: RaiseRateLimitParams,
  target: (p) => `team:${p.team}`,
  magnitude: (p) => Math.max(0, Math.min(1, (p.requests_per_minute / p.previous - 1) / (MAX_RATE_LIMIT_FACTOR - 1))),
  normalize(raw) {
    const r = parseWith('raise_rate_limit', raw);
    if (!r.ok) return r;
    const p = r.value;
    const max = Math.floor(p.previous * MAX_RATE_LIMIT_FACTOR);
    const adjustments: Adjustment[] = [];
    let rpm = p.requests_per_minute;
    if (rpm > max) {
      adjustments.push({ field: 'requests_per_minute', from: rpm, to: max, reason: 'a raise is at most +50 % of the current limit' });
      rpm = max;
    }
    if (rpm <= p.previous) return { ok: false, problems: ['requests_per_minute: must be above the current limit'] };
    return { ok: true, params: { ...p, requests_per_minute: rpm }, adjustments };
  },
  call: (p) => ({
    method: 'PATCH',
    path: `/v1/teams/${enc(p.team)}/rate-limit`,
    body: { requests_per_minute: p.requests_per_minute, previous: p.previous, reason: p.reason },
  }),
  inverse: (p) => ({
    method: 'PATCH',
    path: `/v1/teams/${enc(p.team)}/rate-limit`,
    body: { requests_per_minute: p.previous, previous: p.requests_per_minute, reason: `revert: ${p.reason}`.slice(0, 500) },
  }),
  describe: (p) => `raise ${p.team}'s rate limit from ${p.previous} to ${p.requests_per_minute} rpm`,
};

const pageOncall: ActionSpec<'page_oncall'> = {
  id: 'page_oncall',
  title: 'Page on-call',
  baseline: 35,
  reversible: false,
  undo: 'one-shot',
  schema: PageOncallParams,
  target: () => 'pagerduty:oncall',
  magnitude: (p) => ({ info: 0, warning: 0.33, error: 0.66, critical: 1 })[p.severity],
  normalize(raw) {
    const r = parseWith('page_oncall', raw);
    return r.ok ? { ok: true, params: r.value, adjustments: [] } : r;
  },
  call: () => undefined,
  inverse: () => undefined,
  describe: (p) => `page on-call (${p.severity}): ${p.summary}`,
};

const disableGuardrail: ActionSpec<'disable_guardrail_rule'> = {
  id: 'disable_guardrail_rule',
  title: 'Disable a guardrail rule',
  baseline: 60,
  reversible: true,
  undo: 'revert',
  schema: DisableGuardrailParams,
  target: (p) => `guardrail:${p.rule}`,
  magnitude: () => 1,
  normalize(raw) {
    const r = parseWith('disable_guardrail_rule', raw);
    return r.ok ? { ok: true, params: r.value, adjustments: [] } : r;
  },
  call: (p) => ({ method: 'POST', path: `/v1/guardrails/${enc(p.rule)}/disable`, body: { reason: p.reason } }),
  inverse: (p) => ({ method: 'POST', path: `/v1/guardrails/${enc(p.rule)}/enable`, body: { reason: `revert: ${p.reason}`.slice(0, 500) } }),
  describe: (p) => `disable guardrail rule ${p.rule}`,
};

const bumpBudget: ActionSpec<'bump_budget_cap'> = {
  id: 'bump_budget_cap',
  title: 'Bump a hard budget cap',
  baseline: 75,
  reversible: true,
  undo: 'revert',
  schema: BumpBudgetParams,
  target: (p) => `budget:${p.scope}:${p.scope_id}`,
  magnitude: (p) => Math.max(0, Math.min(1, (p.hard_limit_usd / p.previous - 1) / (MAX_BUDGET_FACTOR - 1))),
  normalize(raw) {
    const r = parseWith('bump_budget_cap', raw);
    if (!r.ok) return r;
    const p = r.value;
    const max = round2(p.previous * MAX_BUDGET_FACTOR);
    const adjustments: Adjustment[] = [];
    let cap = round2(p.hard_limit_usd);
    if (cap > max) {
      adjustments.push({ field: 'hard_limit_usd', from: p.hard_limit_usd, to: max, reason: 'a bump is at most +50 % of the current cap' });
      cap = max;
    }
    if (cap <= p.previous) return { ok: false, problems: ['hard_limit_usd: must be above the current cap'] };
    return { ok: true, params: { ...p, hard_limit_usd: cap }, adjustments };
  },
  call: (p) => ({
    method: 'PATCH',
    path: `/v1/budgets/${enc(p.scope)}/${enc(p.scope_id)}`,
    body: { hard_limit_usd: p.hard_limit_usd, previous: p.previous, reason: p.reason },
  }),
  inverse: (p) => ({
    method: 'PATCH',
    path: `/v1/budgets/${enc(p.scope)}/${enc(p.scope_id)}`,
    body: { hard_limit_usd: p.previous, previous: p.hard_limit_usd, reason: `revert: ${p.reason}`.slice(0, 500) },
  }),
  describe: (p) => `bump ${p.scope} ${p.scope_id}'s hard cap from $${p.previous} to $${p.hard_limit_usd}`,
};

const disableSla: ActionSpec<'disable_sla_contract'> = {
  id: 'disable_sla_contract',
  title: 'Disable an SLA contract',
  baseline: 85,
  reversible: true,
  undo: 'revert',
  schema: DisableSlaParams,
  target: (p) => `sla:${p.sla_id}`,
  magnitude: () => 1,
  normalize(raw) {
    const r = parseWith('disable_sla_contract', raw);
    return r.ok ? { ok: true, params: r.value, adjustments: [] } : r;
  },
  call: (p) => ({ method: 'POST', path: `/v1/slas/${enc(p.sla_id)}/disable`, body: { reason: p.reason } }),
  inverse: (p) => ({ method: 'POST', path: `/v1/slas/${enc(p.sla_id)}/enable`, body: { reason: `revert: ${p.reason}`.slice(0, 500) } }),
  describe: (p) => `disable SLA contract ${p.sla_id}`,
};

export const ACTIONS: { [A in ActionId]: ActionSpec<A> } = {
  circuit_break_provider: circuitBreak,
  reroute_model_group: reroute,
  raise_rate_limit: raiseRateLimit,
  page_oncall: pageOncall,
  disable_guardrail_rule: disableGuardrail,
  bump_budget_cap: bumpBudget,
  disable_sla_contract: disableSla,
};

/** A proposed action whose parameters have passed `normalize`. */
export type ActionRequest = { [A in ActionId]: { action: A; params: ParamsOf<A> } }[ActionId];

/**
 * The library's one dynamic dispatch: the spec for a request's action. The cast is safe because
 * ACTIONS is keyed by ActionId and each spec's params type is the one `normalize` produced.
 */
export function specFor(action: ActionId): ActionSpec<ActionId> {
  return ACTIONS[action] as unknown as ActionSpec<ActionId>;
}

/**
 * A stored proposal's action and params as a request. Safe without re-validation: a proposal row
 * is only ever written from a request that passed `normalizeAction`.
 */
export function storedRequest(p: { action: string; params: Record<string, unknown> }): ActionRequest {
  return { action: p.action as ActionId, params: p.params } as ActionRequest;
}

/** Validate and clamp raw params for an action id that may itself be untrusted. */
export function normalizeAction(action: unknown, raw: unknown): ({ ok: true; request: ActionRequest; adjustments: Adjustment[] }) | { ok: false; problems: string[] } {
  const id = ActionId.safeParse(action);
  if (!id.success) return { ok: false, problems: [`action: unknown action ${JSON.stringify(action)}; expected one of ${ACTION_IDS.join(', ')}`] };
  const r = specFor(id.data).normalize(raw);
  if (!r.ok) return r;
  return { ok: true, request: { action: id.data, params: r.params } as ActionRequest, adjustments: r.adjustments };
}

function preClampNumber(
  raw: unknown,
  field: string,
  min: number,
  max: number,
  why: string,
): { value: unknown; adjustments: Adjustment[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { value: raw, adjustments: [] };
  const obj = raw as Record<string, unknown>;
  const v = obj[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) return { value: raw, adjustments: [] };
  const clamped = Math.min(max, Math.max(min, Math.round(v)));
  if (clamped === v) return { value: raw, adjustments: [] };
  return { value: { ...obj, [field]: clamped }, adjustments: [{ field, from: v, to: clamped, reason: why }] };
}
