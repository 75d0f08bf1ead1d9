import { describe, expect, it } from 'vitest';
import { ACTION_IDS, ACTIONS, normalizeAction, specFor, type ActionRequest } from '../../src/domain/actions.js';

function ok(action: string, raw: unknown) {
  const r = normalizeAction(action, raw);
  if (!r.ok) throw new Error(`rejected: ${r.problems.join('; ')}`);
  return r;
}
function bad(action: string, raw: unknown): string[] {
  const r = normalizeAction(action, raw);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(r.request)}`);
  return r.problems;
}

const reason = 'provider failing';
const samples: Record<(typeof ACTION_IDS)[number], Record<string, unknown>> = {
  circuit_break_provider: { provider: 'openai', duration_seconds: 120, reason },
  reroute_model_group: { model_group: 'gpt', provider: 'azure', previous_provider: 'openai', reason },
  raise_rate_limit: { team: 't-42', requests_per_minute: 1200, previous: 1000, reason },
  page_oncall: { severity: 'error', summary: 'provider openai failing', reason },
  disable_guardrail_rule: { rule: 'pii-block', reason },
  bump_budget_cap: { scope: 'team', scope_id: 't-42', hard_limit_usd: 1100, previous: 1000, reason },
  disable_sla_contract: { sla_id: 'sla-gold', reason },
};

describe('action library', () => {
  it('has the seven actions with the baselines and reversibility of CONTRACT.md', () => {
    expect(Object.fromEntries(ACTION_IDS.map((a) => [a, [ACTIONS[a].baseline, ACTIONS[a].reversible]]))).toEqual({
      circuit_break_provider: [15, true],
      reroute_model_group: [25, true],
      raise_rate_limit: [30, true],
      page_oncall: [35, false],
      disable_guardrail_rule: [60, true],
      bump_budget_cap: [75, true],
      disable_sla_contract: [85, true],
    });
  });

  it.each(ACTION_IDS)('accepts valid params for %s unchanged', (a) => {
    const r = ok(a, samples[a]);
    expect(r.request).toEqual({ action: a, params: samples[a] });
    expect(r.adjustments).toEqual([]);
  });

  it('clamps a 3600 s circuit-break to 300 s and records the adjustment', () => {
    const r = ok('circuit_break_provider', { ...samples.circuit_break_provider, duration_seconds: 3600 });
    expect(r.request.params).toMatchObject({ duration_seconds: 300 });
    expect(r.adjustments).toEqual([{ field: 'duration_seconds', from: 3600, to: 300, reason: expect.stringMatching(/300 s/) }]);
    expect(ok('circuit_break_provider', { ...samples.circuit_break_provider, duration_seconds: 300 }).adjustments).toEqual([]);
    expect(bad('circuit_break_provider', { ...samples.circuit_break_provider, duration_seconds: '300' })).toEqual([expect.stringMatching(/^duration_seconds: /)]);
  });

  it('clamps a +300 % rate-limit raise to +50 %, and refuses no raise at all', () => {
    const r = ok('raise_rate_limit', { ...samples.raise_rate_limit, requests_per_minute: 4000 });
    expect(r.request.params).toMatchObject({ requests_per_minute: 1500, previous: 1000 });
    expect(r.adjustments).toEqual([{ field: 'requests_per_minute', from: 4000, to: 1500, reason: expect.stringMatching(/50 %/) }]);
    expect(ok('raise_rate_limit', { ...samples.raise_rate_limit, requests_per_minute: 1500 }).adjustments).toEqual([]);
    expect(bad('raise_rate_limit', { ...samples.raise_rate_limit, requests_per_minute: 1000 })).toEqual([expect.stringMatching(/^requests_per_minute: /)]);
    expect(bad('raise_rate_limit', { ...samples.raise_rate_limit, requests_per_minute: 1200.5 })).toEqual([expect.stringMatching(/^requests_per_minute: /)]);
  });

  it('acts on one team only', () => {
    expect(bad('raise_rate_limit', { ...samples.raise_rate_limit, team: ['t-1', 't-2'] })).toEqual([expect.stringMatching(/^team: /)]);
  });

  it('clamps a budget bump to +50 % and refuses one that lowers the cap', () => {
    const r = ok('bump_budget_cap', { ...samples.bump_budget_cap, hard_limit_usd: 5000 });
    expect(r.request.params).toMatchObject({ hard_limit_usd: 1500 });
    expect(r.adjustments).toEqual([expect.objectContaining({ field: 'hard_limit_usd', from: 5000, to: 1500 })]);
    expect(bad('bump_budget_cap', { ...samples.bump_budget_cap, hard_limit_usd: 900 })).toEqual([expect.stringMatching(/^hard_limit_usd: /)]);
  });

  it('refuses a re-route to the provider it already uses', () => {
    expect(bad('reroute_model_group', { ...samples.reroute_model_group, provider: 'openai' })).toEqual([expect.stringMatching(/^provider: /)]);
  });

  it('refuses an unknown action, naming it', () => {
    expect(bad('delete_everything', {})).toEqual([expect.stringMatching(/^action: unknown action "delete_everything"; expected one of circuit_break_provider/)]);
    expect(bad(42 as unknown as string, {})).toEqual([expect.stringMatching(/^action: /)]);
  });

  it.each(ACTION_IDS)('refuses an extra property on %s', (a) => {
    expect(bad(a, { ...samples[a], auto_approve: true })).toEqual([expect.stringMatching(/auto_approve/)]);
  });

  it('refuses missing, empty and over-long reasons and summaries, and unknown severities', () => {
    const { reason: _r, ...noReason } = samples.disable_sla_contract;
    expect(bad('disable_sla_contract', noReason)).toEqual([expect.stringMatching(/^reason: /)]);
    expect(bad('disable_sla_contract', { ...noReason, reason: '   ' })).toEqual([expect.stringMatching(/^reason: /)]);
    expect(bad('disable_sla_contract', { ...noReason, reason: 'x'.repeat(501) })).toEqual([expect.stringMatching(/^reason: /)]);
    expect(ok('disable_sla_contract', { ...noReason, reason: 'x'.repeat(500) }).request.action).toBe('disable_sla_contract');
    expect(bad('page_oncall', { ...samples.page_oncall, summary: 'x'.repeat(1025) })).toEqual([expect.stringMatching(/^summary: /)]);
    expect(bad('page_oncall', { ...samples.page_oncall, severity: 'apocalyptic' })).toEqual([expect.stringMatching(/^severity: /)]);
    expect(bad('page_oncall', 'not an object')).toHaveLength(1);
  });

  it('describes the admin-api calls and their inverses', () => {
    const req = (a: (typeof ACTION_IDS)[number]) => ok(a, samples[a]).request;
    const calls = (r: ActionRequest) => [specFor(r.action).call(r.params), specFor(r.action).inverse(r.params)];
    expect(calls(req('circuit_break_provider'))).toEqual([
      { method: 'POST', path: '/v1/providers/openai/circuit-breaker', body: { duration_seconds: 120, reason } },
      { method: 'DELETE', path: '/v1/providers/openai/circuit-breaker' },
    ]);
    expect(calls(req('reroute_model_group'))).toEqual([
      { method: 'PUT', path: '/v1/model-groups/gpt/routing', body: { provider: 'azure', previous_provider: 'openai', reason } },
      { method: 'PUT', path: '/v1/model-groups/gpt/routing', body: { provider: 'openai', previous_provider: 'azure', reason: `revert: ${reason}` } },
    ]);
    expect(calls(req('raise_rate_limit'))).toEqual([
      { method: 'PATCH', path: '/v1/teams/t-42/rate-limit', body: { requests_per_minute: 1200, previous: 1000, reason } },
      { method: 'PATCH', path: '/v1/teams/t-42/rate-limit', body: { requests_per_minute: 1000, previous: 1200, reason: `revert: ${reason}` } },
    ]);
    expect(calls(req('page_oncall'))).toEqual([undefined, undefined]);
    expect(calls(req('disable_guardrail_rule'))).toEqual([
      { method: 'POST', path: '/v1/guardrails/pii-block/disable', body: { reason } },
      { method: 'POST', path: '/v1/guardrails/pii-block/enable', body: { reason: `revert: ${reason}` } },
    ]);
    expect(calls(req('bump_budget_cap'))).toEqual([
      { method: 'PATCH', path: '/v1/budgets/team/t-42', body: { hard_limit_usd: 1100, previous: 1000, reason } },
      { method: 'PATCH', path: '/v1/budgets/team/t-42', body: { hard_limit_usd: 1000, previous: 1100, reason: `revert: ${reason}` } },
    ]);
    expect(calls(req('disable_sla_contract'))).toEqual([
      { method: 'POST', path: '/v1/slas/sla-gold/disable', body: { reason } },
      { method: 'POST', path: '/v1/slas/sla-gold/enable', body: { reason: `revert: ${reason}` } },
    ]);
  });

  it('encodes targets into paths and keeps inverse reasons within 500 characters', () => {
    const r = ok('disable_guardrail_rule', { rule: '../admin?x=1', reason: 'y'.repeat(500) }).request;
    const inv = specFor(r.action).inverse(r.params);
    expect(specFor(r.action).call(r.params)?.path).toBe('/v1/guardrails/..%2Fadmin%3Fx%3D1/disable');
    expect(String(inv?.body?.reason)).toHaveLength(500);
  });

  it('names targets and magnitudes', () => {
    const r = ok('circuit_break_provider', { ...samples.circuit_break_provider, duration_seconds: 150 }).request;
    expect(specFor(r.action).target(r.params)).toBe('provider:openai');
    expect(specFor(r.action).magnitude(r.params)).toBe(0.5);
    const raise = ok('raise_rate_limit', { ...samples.raise_rate_limit, requests_per_minute: 1250 }).request;
    expect(specFor(raise.action).magnitude(raise.params)).toBeCloseTo(0.5);
  });
});
