import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeAction, type ActionRequest } from '../../src/domain/actions.js';
import type { EventType } from '../../src/domain/events.js';
import { clampScore, scoreRisk, timeOfDay, type PastProposal, type RiskInput } from '../../src/domain/risk.js';

const TZ = 'Europe/Berlin'; // UTC+1 in November
const WED_11 = new Date('2026-11-25T10:00:00Z'); // Wednesday 11:00 Berlin: business hours

function request(action: string, params: Record<string, unknown>): ActionRequest {
  const r = normalizeAction(action, params);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.request;
}
const breakFor = (duration_seconds: number, provider = 'openai') => request('circuit_break_provider', { provider, duration_seconds, reason: 'r' });
const page = (severity: 'critical' | 'error' | 'warning' | 'info') => request('page_oncall', { severity, summary: 's', reason: 'r' });
const raise = (rpm: number, team = 't-42') => request('raise_rate_limit', { team, requests_per_minute: rpm, previous: 1000, reason: 'r' });
const reroute = request('reroute_model_group', { model_group: 'gpt', provider: 'azure', previous_provider: 'openai', reason: 'r' });

type Over = Partial<Omit<RiskInput, 'incident'>> & { incident?: Partial<RiskInput['incident']> };
function input(req: ActionRequest, over: Over = {}): RiskInput {
  const { incident, ...rest } = over;
  return {
    request: req,
    now: WED_11,
    timeZone: TZ,
    criticalTeams: [],
    history: [],
    ...rest,
    incident: { type: 'provider.unhealthy' as EventType, teams: [], ...incident },
  };
}
const factor = (i: RiskInput, name: string) => scoreRisk(i).factors.find((f) => f.name === name);
const past = (over: Partial<PastProposal>): PastProposal => ({
  action: 'circuit_break_provider',
  target: 'provider:openai',
  status: 'succeeded',
  createdAt: new Date(WED_11.getTime() - 3_600_000),
  decidedAt: new Date(WED_11.getTime() - 3_600_000),
  decisionReason: null,
  ...over,
});

describe('risk factors, case by case', () => {
  it('starts from the baseline: a short circuit-break in business hours scores exactly 15', () => {
    expect(scoreRisk(input(breakFor(5)))).toEqual({ score: 15, factors: [{ name: 'baseline', delta: 15, reason: expect.any(String) }] });
  });

  it.each([
    ['Wednesday 11:00 (business hours)', '2026-11-25T10:00:00Z', TZ, undefined],
    ['Wednesday 07:30 (before business hours)', '2026-11-25T06:30:00Z', TZ, 5],
    ['Wednesday 18:30 (evening)', '2026-11-25T17:30:00Z', TZ, 5],
    ['Wednesday 23:30 (night)', '2026-11-25T22:30:00Z', TZ, 10],
    ['Thursday 03:00 (night)', '2026-11-26T02:00:00Z', TZ, 10],
    ['Saturday 11:00 (weekend day)', '2026-11-28T10:00:00Z', TZ, 10],
    ['Sunday 00:00 (weekend night)', '2026-11-28T23:00:00Z', TZ, 15],
    ['the same instant in New York: Wednesday 17:30 (business hours)', '2026-11-25T22:30:00Z', 'America/New_York', undefined],
    ['Friday 23:00 UTC is Saturday 08:00 in Tokyo (weekend)', '2026-11-27T23:00:00Z', 'Asia/Tokyo', 10],
  ] as const)('time of day: %s', (_label, at, tz, delta) => {
    expect(factor(input(breakFor(5), { now: new Date(at), timeZone: tz }), 'time_of_day')?.delta).toBe(delta);
  });

  it('reads the local hour in the given time zone, midnight as 0', () => {
    expect(timeOfDay(new Date('2026-11-28T23:00:00Z'), TZ)?.reason).toContain(`(0:00 ${TZ})`);
  });

  it('blast radius grows with traffic and teams, for traffic actions only', () => {
    const blast = (req: ActionRequest, rpm?: number, teams?: number) =>
      factor(input(req, { incident: { ...(rpm !== undefined ? { requestsPerMinute: rpm } : {}), ...(teams !== undefined ? { teamsAffected: teams } : {}) } }), 'blast_radius')?.delta;
    expect(blast(breakFor(5), 50)).toBeUndefined();
    expect(blast(breakFor(5), 100)).toBe(3);
    expect(blast(breakFor(5), 1_000)).toBe(8);
    expect(blast(breakFor(5), 10_000)).toBe(15);
    expect(blast(reroute, 10_000)).toBe(15);
    expect(blast(page('info'), 10_000)).toBeUndefined();
    expect(blast(breakFor(5), undefined, 2)).toBeUndefined();
    expect(blast(breakFor(5), undefined, 3)).toBe(5);
    expect(blast(breakFor(5), 10_000, 10)).toBe(25);
    const orgBump = request('bump_budget_cap', { scope: 'org', scope_id: 'acme', hard_limit_usd: 1001, previous: 1000, reason: 'r' });
    expect(factor(input(orgBump), 'blast_radius')?.delta).toBe(10);
  });

  it('adds 20 when a circuit-break leaves no healthy alternative, nothing when unknown', () => {
    expect(factor(input(breakFor(5), { incident: { healthyAlternatives: 0 } }), 'no_alternative')?.delta).toBe(20);
    expect(factor(input(breakFor(5), { incident: { healthyAlternatives: 1 } }), 'no_alternative')).toBeUndefined();
    expect(factor(input(breakFor(5)), 'no_alternative')).toBeUndefined();
    expect(factor(input(page('info'), { incident: { healthyAlternatives: 0 } }), 'no_alternative')).toBeUndefined();
  });

  it('adds 15 for a critical team, from the action or from the incident', () => {
    expect(factor(input(raise(1100, 't-pay'), { criticalTeams: ['t-pay'] }), 'team_criticality')).toMatchObject({ delta: 15, reason: expect.stringContaining('t-pay') });
    expect(factor(input(page('info'), { criticalTeams: ['t-pay'], incident: { teams: ['t-pay'] } }), 'team_criticality')?.delta).toBe(15);
    expect(factor(input(raise(1100, 't-other'), { criticalTeams: ['t-pay'] }), 'team_criticality')).toBeUndefined();
  });

  it('adds 10 per run of the same action on the same target in 24 h, at most 20', () => {
    const rep = (history: PastProposal[], req = breakFor(5)) => factor(input(req, { history }), 'repetition')?.delta;
    expect(rep([past({})])).toBe(10);
    expect(rep([past({}), past({ status: 'failed' })])).toBe(20);
    expect(rep([past({}), past({}), past({})])).toBe(20);
    expect(rep([past({ decidedAt: new Date(WED_11.getTime() - 25 * 3_600_000) })])).toBeUndefined();
    expect(rep([past({ target: 'provider:azure' })])).toBeUndefined();
    expect(rep([past({ action: 'reroute_model_group' })])).toBeUndefined();
    expect(rep([past({ status: 'rejected' })])).toBeUndefined();
    expect(rep([past({ status: 'pending' })])).toBeUndefined();
  });

  it('adds up to 10 for magnitude, in proportion to the hard bound', () => {
    const mag = (req: ActionRequest) => factor(input(req), 'magnitude')?.delta;
    expect(mag(breakFor(10))).toBeUndefined();
    expect(mag(breakFor(150))).toBe(5);
    expect(mag(breakFor(300))).toBe(10);
    expect(mag(breakFor(3600))).toBe(10);
    expect(mag(raise(1500))).toBe(10);
    expect(mag(raise(1250))).toBe(5);
    expect(mag(page('info'))).toBeUndefined();
    expect(mag(page('critical'))).toBe(10);
    expect(mag(reroute)).toBeUndefined();
  });

  it('adds 20 after a similar proposal was rejected in the last 7 days, quoting why', () => {
    const rejected = past({ status: 'rejected', decisionReason: 'the provider status page says it is fixed', decidedAt: new Date(WED_11.getTime() - 6 * 24 * 3_600_000) });
    expect(factor(input(breakFor(5), { history: [rejected] }), 'recent_rejection')).toMatchObject({ delta: 20, reason: expect.stringContaining('"the provider status page') });
    expect(factor(input(breakFor(5), { history: [{ ...rejected, decidedAt: new Date(WED_11.getTime() - 8 * 24 * 3_600_000) }] }), 'recent_rejection')).toBeUndefined();
    expect(factor(input(breakFor(5, 'azure'), { history: [rejected] }), 'recent_rejection')).toBeUndefined();
  });

  it('records the model adjustment, clamped to ±10 and rounded', () => {
    const adj = (delta: number) => factor(input(breakFor(5), { modelAdjustment: { delta, reason: 'model says so' } }), 'model_adjustment')?.delta;
    expect(adj(50)).toBe(10);
    expect(adj(-50)).toBe(-10);
    expect(adj(3.6)).toBe(4);
    expect(adj(0)).toBeUndefined();
    expect(scoreRisk(input(breakFor(5), { modelAdjustment: { delta: -50, reason: 'trust me' } })).score).toBe(5);
  });

  it('clamps the score to 0–100', () => {
    const worst = scoreRisk(
      input(request('disable_sla_contract', { sla_id: 's', reason: 'r' }), {
        now: new Date('2026-11-28T23:00:00Z'),
        history: [past({ action: 'disable_sla_contract', target: 'sla:s' }), past({ action: 'disable_sla_contract', target: 'sla:s', status: 'rejected' })],
        modelAdjustment: { delta: 10, reason: 'x' },
      }),
    );
    expect(worst.factors.reduce((s, f) => s + f.delta, 0)).toBeGreaterThan(100);
    expect(worst.score).toBe(100);
    expect([clampScore(-5), clampScore(150), clampScore(41.6)]).toEqual([0, 100, 42]);
  });
});

// ---- properties ------------------------------------------------------------------------------

const zones = fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Pacific/Kiritimati');
const when = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true });
const anyRequest: fc.Arbitrary<ActionRequest> = fc.oneof(
  fc.integer({ min: 1, max: 3600 }).map((d) => breakFor(d)),
  fc.integer({ min: 1001, max: 5000 }).map((r) => raise(r)),
  fc.constantFrom('critical', 'error', 'warning', 'info' as const).map((s) => page(s)),
  fc.constant(reroute),
  fc.constant(request('disable_sla_contract', { sla_id: 's', reason: 'r' })),
);
const history = fc.array(
  fc.record({
    action: fc.constantFrom('circuit_break_provider' as const, 'raise_rate_limit' as const, 'disable_sla_contract' as const),
    target: fc.constantFrom('provider:openai', 'team:t-42', 'sla:s'),
    status: fc.constantFrom('succeeded', 'failed', 'rejected', 'pending', 'approved'),
    createdAt: when,
    decidedAt: fc.option(when, { nil: null }),
    decisionReason: fc.option(fc.string({ maxLength: 300 }), { nil: null }),
  }),
  { maxLength: 6 },
);
const context = fc.record({
  now: when,
  timeZone: zones,
  criticalTeams: fc.subarray(['t-42', 't-pay']),
  history,
  incident: fc.record({
    type: fc.constantFrom('provider.unhealthy', 'latency.spike', 'budget.exceeded', 'sla.violation' as const),
    teams: fc.subarray(['t-42', 't-pay']),
    requestsPerMinute: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
    teamsAffected: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
    healthyAlternatives: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  }),
  modelAdjustment: fc.option(fc.record({ delta: fc.double({ min: -1e6, max: 1e6, noNaN: true }), reason: fc.string({ minLength: 1, maxLength: 50 }) }), { nil: undefined }),
});

/** fc.option with nil undefined yields explicit undefined keys; RiskInput wants them absent. */
function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
type Context = typeof context extends fc.Arbitrary<infer C> ? C : never;
const build = (req: ActionRequest, c: Context): RiskInput => ({
  ...strip({ ...c, incident: strip(c.incident) }),
  request: req,
});

describe('risk properties', () => {
  it('the score is always an integer in 0–100', () => {
    fc.assert(
      fc.property(anyRequest, context, (req, c) => {
        const { score } = scoreRisk(build(req, c));
        expect(Number.isInteger(score)).toBe(true);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(100);
      }),
    );
  });

  it('the factors sum to the score whenever the sum is within 0–100, and clamp otherwise', () => {
    fc.assert(
      fc.property(anyRequest, context, (req, c) => {
        const { score, factors } = scoreRisk(build(req, c));
        const sum = factors.reduce((s, f) => s + f.delta, 0);
        expect(score).toBe(Math.max(0, Math.min(100, sum)));
        expect(factors.every((f) => f.name.length > 0 && f.reason.length > 0 && f.delta !== 0)).toBe(true);
      }),
    );
  });

  it('is monotone non-decreasing in circuit-break duration, everything else fixed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 1, max: 3600 }), context, (a, b, c) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(scoreRisk(build(breakFor(lo), c)).score).toBeLessThanOrEqual(scoreRisk(build(breakFor(hi), c)).score);
      }),
    );
  });

  it('is monotone non-decreasing in the size of a rate-limit raise, everything else fixed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1001, max: 4000 }), fc.integer({ min: 1001, max: 4000 }), context, (a, b, c) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(scoreRisk(build(raise(lo), c)).score).toBeLessThanOrEqual(scoreRisk(build(raise(hi), c)).score);
      }),
    );
  });

  it('is monotone non-decreasing in page severity, everything else fixed', () => {
    const order = ['info', 'warning', 'error', 'critical'] as const;
    fc.assert(
      fc.property(context, (c) => {
        const scores = order.map((s) => scoreRisk(build(page(s), c)).score);
        expect(scores).toEqual([...scores].sort((x, y) => x - y));
      }),
    );
  });
});
