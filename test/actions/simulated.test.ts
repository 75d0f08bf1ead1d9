import { describe, expect, it } from 'vitest';
import { ExecutionError } from '../../src/actions/gateway.js';
import { observeEffect } from '../../src/actions/observe.js';
import { createSimulatedGateway, defaultSimulatedState } from '../../src/actions/simulated.js';
import { ACTIONS, type ActionRequest, specFor } from '../../src/domain/actions.js';

/** One valid request per admin-api action, against the default seed. */
const requests: ActionRequest[] = [
  { action: 'circuit_break_provider', params: { provider: 'openai', duration_seconds: 120, reason: 'error rate 40 %' } },
  { action: 'reroute_model_group', params: { model_group: 'claude-sonnet', provider: 'bedrock', previous_provider: 'anthropic', reason: 'latency' } },
  { action: 'raise_rate_limit', params: { team: 't-search', requests_per_minute: 1800, previous: 1200, reason: 'launch traffic' } },
  { action: 'disable_guardrail_rule', params: { rule: 'toxicity-filter', reason: 'false positives' } },
  { action: 'bump_budget_cap', params: { scope: 'team', scope_id: 't-research', hard_limit_usd: 4500, previous: 3000, reason: 'eval run' } },
  { action: 'disable_sla_contract', params: { sla_id: 'sla-checkout-p95', reason: 'provider outage' } },
];

function clock(start = '2026-11-25T10:00:00Z') {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (s: number) => (t += s * 1000) };
}

async function refusal(p: Promise<unknown>): Promise<ExecutionError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ExecutionError);
  return e as ExecutionError;
}

describe('simulated gateway', () => {
  it('covers every admin-api action of the library; page_oncall has no admin-api call', () => {
    expect(ACTIONS.page_oncall.call({ severity: 'critical', summary: 's', reason: 'r' })).toBeUndefined();
    const covered = new Set(requests.map((r) => r.action));
    for (const id of Object.keys(ACTIONS)) if (id !== 'page_oncall') expect(covered).toContain(id);
  });

  it.each(requests)('applies $action and its inverse restores the state', async (req) => {
    const c = clock();
    const sim = createSimulatedGateway({ clock: c });
    const before = sim.state();
    const spec = specFor(req.action);
    expect(spec.normalize(req.params)).toMatchObject({ ok: true, adjustments: [] });
    const res = await sim.send(spec.call(req.params)!, 'exec_do');
    expect(res.status).toBe(200);
    const after = sim.state();
    expect(after).not.toEqual(before);
    await sim.send(spec.inverse(req.params)!, 'exec_undo');
    expect(sim.state()).toEqual(before);
    expect(sim.calls().map((x) => [x.idempotencyKey, x.status, x.replayed])).toEqual([
      ['exec_do', 200, false],
      ['exec_undo', 200, false],
    ]);
  });

  it('shows each change through the reads', async () => {
    const c = clock();
    const sim = createSimulatedGateway({ clock: c });
    for (const [i, req] of requests.entries()) await sim.send(specFor(req.action).call(req.params)!, `exec_${i}`);
    expect(await sim.getProvider('openai')).toMatchObject({ healthy: false, circuit_open_until: '2026-11-25T10:02:00.000Z' });
    expect(await sim.getModelGroup('claude-sonnet')).toMatchObject({ provider: 'bedrock' });
    expect(await sim.getModelGroup('gpt-4o')).toMatchObject({
      provider: 'openai',
      providers: [
        { name: 'openai', healthy: false },
        { name: 'azure-openai', healthy: true },
      ],
    });
    expect(await sim.getTeam('t-search')).toMatchObject({ requests_per_minute: 1800 });
    expect(await sim.getBudget('team', 't-research')).toMatchObject({ hard_limit_usd: 4500 });
    const s = sim.state();
    expect(s.guardrails['toxicity-filter']?.enabled).toBe(false);
    expect(s.slas['sla-checkout-p95']?.enabled).toBe(false);
  });

  it('replays the first answer for a repeated Idempotency-Key without applying twice', async () => {
    const sim = createSimulatedGateway();
    const call = ACTIONS.raise_rate_limit.call({ team: 't-checkout', requests_per_minute: 900, previous: 600, reason: 'r' })!;
    const first = await sim.send(call, 'exec_same');
    const second = await sim.send(call, 'exec_same');
    expect(second).toEqual(first);
    expect((await sim.getTeam('t-checkout'))?.requests_per_minute).toBe(900);
    expect(sim.calls().map((x) => x.replayed)).toEqual([false, true]);
    // With a fresh key the same body is stale now: previous 600 ≠ current 900.
    const e = await refusal(sim.send(call, 'exec_other'));
    expect(e.status).toBe(409);
  });

  it('refuses a reused key carrying a different request', async () => {
    const sim = createSimulatedGateway();
    await sim.send(ACTIONS.disable_guardrail_rule.call({ rule: 'pii-redaction', reason: 'r' })!, 'k1');
    const e = await refusal(sim.send(ACTIONS.disable_guardrail_rule.call({ rule: 'toxicity-filter', reason: 'r' })!, 'k1'));
    expect(e.status).toBe(422);
    expect(sim.state().guardrails['toxicity-filter']?.enabled).toBe(true);
  });

  it('answers 409 when `previous` is stale, changing nothing', async () => {
    const sim = createSimulatedGateway();
    const before = sim.state();
    const stale = [
      ACTIONS.raise_rate_limit.call({ team: 't-search', requests_per_minute: 1500, previous: 1100, reason: 'r' })!,
      ACTIONS.bump_budget_cap.call({ scope: 'org', scope_id: 'acme', hard_limit_usd: 25000, previous: 18000, reason: 'r' })!,
      ACTIONS.reroute_model_group.call({ model_group: 'gpt-4o', provider: 'openai', previous_provider: 'azure-openai', reason: 'r' })!,
    ];
    for (const [i, call] of stale.entries()) {
      const e = await refusal(sim.send(call, `stale_${i}`));
      expect(e.status).toBe(409);
      expect(e.retryable).toBe(false);
    }
    expect(sim.state()).toEqual(before);
  });

  it('answers 404 for unknown targets and routes, 400 for bad bodies', async () => {
    const sim = createSimulatedGateway();
    const cases: [Parameters<typeof sim.send>[0], number][] = [
      [ACTIONS.circuit_break_provider.call({ provider: 'nope', duration_seconds: 60, reason: 'r' })!, 404],
      [ACTIONS.disable_sla_contract.call({ sla_id: 'sla-nope', reason: 'r' })!, 404],
      [ACTIONS.bump_budget_cap.call({ scope: 'team', scope_id: 't-nope', hard_limit_usd: 2, previous: 1, reason: 'r' })!, 404],
      [{ method: 'POST', path: '/v1/providers/openai/explode', body: {} }, 404],
      [{ method: 'POST', path: '/v1/providers/openai/circuit-breaker', body: { duration_seconds: 3600, reason: 'r' } }, 400],
      [{ method: 'PATCH', path: '/v1/teams/t-search/rate-limit', body: { requests_per_minute: 'lots' } }, 400],
      [{ method: 'PUT', path: '/v1/model-groups/gpt-4o/routing', body: { provider: 'anthropic', previous_provider: 'openai', reason: 'r' } }, 400],
      [{ method: 'POST', path: '/v1/guardrails/pii-redaction/disable' }, 400],
    ];
    for (const [i, [call, status]] of cases.entries()) {
      const e = await refusal(sim.send(call, `bad_${i}`));
      expect({ path: call.path, status: e.status }).toEqual({ path: call.path, status });
    }
    expect(sim.state()).toEqual(defaultSimulatedState());
    expect(await sim.getProvider('nope')).toBeUndefined();
    expect(await sim.getModelGroup('nope')).toBeUndefined();
    expect(await sim.getTeam('nope')).toBeUndefined();
    expect(await sim.getBudget('org', 'nope')).toBeUndefined();
  });

  it('closes a circuit by itself once the clock passes its end', async () => {
    const c = clock();
    const sim = createSimulatedGateway({ clock: c });
    await sim.send(ACTIONS.circuit_break_provider.call({ provider: 'anthropic', duration_seconds: 300, reason: 'r' })!, 'cb');
    c.advance(299);
    expect(await sim.getProvider('anthropic')).toMatchObject({ healthy: false, circuit_open_until: '2026-11-25T10:05:00.000Z' });
    expect((await sim.getModelGroup('claude-sonnet'))?.providers[0]).toEqual({ name: 'anthropic', healthy: false });
    c.advance(1);
    expect(await sim.getProvider('anthropic')).toMatchObject({ healthy: true, circuit_open_until: null });
    expect((await sim.getModelGroup('claude-sonnet'))?.providers[0]).toEqual({ name: 'anthropic', healthy: true });
    expect(sim.state()).toEqual(defaultSimulatedState());
  });

  it('starts from a given seed and never lets callers mutate its state', async () => {
    const seed = defaultSimulatedState();
    seed.teams = { 't-only': { name: 'Only', requests_per_minute: 10 } };
    const sim = createSimulatedGateway({ seed });
    seed.teams['t-only']!.requests_per_minute = 99;
    sim.state().teams['t-only']!.requests_per_minute = 77;
    expect(await sim.getTeam('t-only')).toEqual({ id: 't-only', name: 'Only', requests_per_minute: 10 });
    expect(await sim.getTeam('t-search')).toBeUndefined();
  });
});

describe('observeEffect', () => {
  it('tells applied from not applied through the reads', async () => {
    const c = clock();
    const sim = createSimulatedGateway({ clock: c });
    const [cb, reroute, raise, , bump, sla] = requests as [ActionRequest, ActionRequest, ActionRequest, ActionRequest, ActionRequest, ActionRequest];
    for (const r of [reroute, raise, bump]) expect(await observeEffect(sim, r, c.now())).toBe('not_applied');
    expect(await observeEffect(sim, cb, c.now())).toBe('unknown');
    for (const [i, r] of [cb, reroute, raise, bump].entries()) await sim.send(specFor(r.action).call(r.params)!, `o_${i}`);
    for (const r of [cb, reroute, raise, bump]) expect(await observeEffect(sim, r, c.now())).toBe('applied');
    // The simulated gateway reads SLAs and guardrails too, consistently with what it executed.
    expect(await observeEffect(sim, sla, c.now())).toBe('not_applied');
    await sim.send(specFor(sla.action).call(sla.params)!, 'o_sla');
    expect(await observeEffect(sim, sla, c.now())).toBe('applied');
    expect(await observeEffect({ ...sim, getSla: undefined }, sla, c.now())).toBe('unknown');
    c.advance(600);
    expect(await observeEffect(sim, cb, c.now())).toBe('unknown');
  });
});
