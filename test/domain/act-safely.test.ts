import { describe, expect, it } from 'vitest';
import type { ActionRequest } from '../../src/domain/actions.js';
import { holdingBrakes, routeWithBrakes } from '../../src/domain/policy.js';
import { COULD_NOT_CONFIRM, recheck, type RecheckInput, type TargetState } from '../../src/domain/recheck.js';
import { severityOf, verdict, verifyWindowFor } from '../../src/domain/verification.js';

const AT = new Date('2026-11-24T10:30:00Z');
const CREATED = new Date('2026-11-24T10:00:00Z');
const cb: ActionRequest = { action: 'circuit_break_provider', params: { provider: 'openai', duration_seconds: 120, reason: 'r' } };
const provider = (healthy: boolean, open: string | null = null): TargetState => ({ kind: 'provider', healthy, circuit_open_until: open });

function input(over: Partial<RecheckInput> = {}): RecheckInput {
  return {
    request: cb,
    at: AT,
    proposal: { createdAt: CREATED, riskScore: 30, targetState: provider(false) },
    incident: { status: 'open', closedAt: null, lastEventAt: new Date('2026-11-24T10:29:00Z') },
    target: provider(false),
    risk: { score: 30, factors: [{ name: 'baseline', delta: 15, reason: 'b' }] },
    policy: { riskThreshold: 40, autoApprove: true, twoPersonScore: 75 },
    quietMs: 5 * 60_000,
    ...over,
  };
}

describe('re-check at decision time', () => {
  it('passes when the present still matches, and says what it checked', () => {
    const r = recheck(input());
    expect(r.stale).toBeUndefined();
    expect(r.checked.map((c) => [c.check, c.ok])).toEqual([['incident', true], ['target', true], ['risk', true]]);
  });

  it('the incident closed', () => {
    expect(recheck(input({ incident: { status: 'closed', closedAt: new Date('2026-11-24T10:20:00Z'), lastEventAt: null } })).stale).toMatch(/incident closed at 2026-11-24T10:20/);
  });

  it('the incident went quiet: no event since the proposal for the quiet period', () => {
    const quiet = input({ incident: { status: 'open', closedAt: null, lastEventAt: new Date('2026-11-24T09:59:00Z') } });
    expect(recheck(quiet).stale).toMatch(/went quiet: no event since 2026-11-24T09:59/);
    // An event after the proposal, or a short gap, is not quiet.
    expect(recheck(input({ incident: { status: 'open', closedAt: null, lastEventAt: new Date('2026-11-24T10:01:00Z') } })).stale).toBeUndefined();
    expect(recheck({ ...quiet, at: new Date('2026-11-24T10:02:00Z') }).stale).toBeUndefined();
  });

  it('the provider is healthy again, or its breaker is already open', () => {
    expect(recheck(input({ target: provider(true) })).stale).toBe('openai is healthy again');
    expect(recheck(input({ target: provider(false, '2026-11-24T10:32:00Z') })).stale).toMatch(/breaker of openai is already open until/);
    // Healthy both at the proposal and now: nothing changed (the simulated gateway's providers).
    expect(recheck(input({ proposal: { createdAt: CREATED, riskScore: 30, targetState: provider(true) }, target: provider(true) })).stale).toBeUndefined();
  });

  it('routing already moved, limits and caps already raised, guardrails and SLAs already disabled', () => {
    const reroute: ActionRequest = { action: 'reroute_model_group', params: { model_group: 'gpt-4o', provider: 'azure-openai', previous_provider: 'openai', reason: 'r' } };
    expect(recheck(input({ request: reroute, target: { kind: 'model_group', provider: 'azure-openai' } })).stale).toMatch(/already moved to azure-openai/);
    expect(recheck(input({ request: reroute, target: { kind: 'model_group', provider: 'bedrock' } })).stale).toMatch(/now routes to bedrock, not openai/);
    expect(recheck(input({ request: reroute, target: { kind: 'model_group', provider: 'openai' } })).stale).toBeUndefined();
    const raise: ActionRequest = { action: 'raise_rate_limit', params: { team: 't-search', requests_per_minute: 1500, previous: 1200, reason: 'r' } };
    expect(recheck(input({ request: raise, target: { kind: 'team', requests_per_minute: 1500 } })).stale).toMatch(/already 1500 rpm/);
    expect(recheck(input({ request: raise, target: { kind: 'team', requests_per_minute: 1300 } })).stale).toMatch(/now 1300 rpm, not 1200/);
    const bump: ActionRequest = { action: 'bump_budget_cap', params: { scope: 'team', scope_id: 't-search', hard_limit_usd: 6000, previous: 5000, reason: 'r' } };
    expect(recheck(input({ request: bump, target: { kind: 'budget', hard_limit_usd: 7000 } })).stale).toMatch(/already \$7000/);
    const rule: ActionRequest = { action: 'disable_guardrail_rule', params: { rule: 'pii-redaction', reason: 'r' } };
    expect(recheck(input({ request: rule, target: { kind: 'guardrail', enabled: false } })).stale).toMatch(/already disabled/);
    const sla: ActionRequest = { action: 'disable_sla_contract', params: { sla_id: 'sla-1', reason: 'r' } };
    expect(recheck(input({ request: sla, target: { kind: 'sla', enabled: false } })).stale).toMatch(/SLA contract sla-1 is already disabled/);
    expect(recheck(input({ request: sla, target: { kind: 'unknown', why: 'no read' } })).stale).toBeUndefined();
  });

  it('a failed read fails closed: "could not confirm the current state"', () => {
    expect(recheck(input({ target: new Error('admin-api GET /v1/providers/openai answered 503') })).stale).toMatch(new RegExp(`^${COULD_NOT_CONFIRM}`));
  });

  it('the risk scored again rose past what the approver saw, naming the boundaries crossed', () => {
    const risen = (score: number, seen = 30) => recheck(input({ proposal: { createdAt: CREATED, riskScore: seen, targetState: provider(false) }, risk: { score, factors: [{ name: 'time_of_day', delta: 10, reason: 'night' }] } })).stale;
    expect(risen(30)).toBeUndefined();
    expect(risen(25)).toBeUndefined();
    expect(risen(35)).toMatch(/risk scored again is 35, above the 30 the approver saw; factors now: time_of_day \+10/);
    expect(risen(45)).toMatch(/past the threshold 40/);
    expect(risen(80, 70)).toMatch(/past the two-person score 75/);
  });
});

describe('brakes on automatic execution', () => {
  const safety = { actionCooldownMs: 30 * 60_000, maxActionsPerHour: 10 };
  const policy = { riskThreshold: 40, autoApprove: true };

  it('no brake: the policy route stands', () => {
    expect(routeWithBrakes(20, policy, safety, { executionsLastHour: 9 })).toMatchObject({ route: 'auto', held: [] });
  });

  it('the kill switch, the cooldown, the hourly cap and a fresh proposal after a stale one each send it to a human', () => {
    expect(routeWithBrakes(20, policy, safety, { paused: { by: 'alice', reason: 'maintenance', at: AT } })).toMatchObject({ route: 'gate', reason: expect.stringMatching(/paused by alice \("maintenance"\)/) });
    expect(routeWithBrakes(20, policy, safety, { cooldown: { action: 'circuit_break_provider', target: 'provider:openai', at: AT } }).reason).toMatch(/already executed at 2026-11-24T10:30.*SRE_ACTION_COOLDOWN \(30 min\)/);
    expect(routeWithBrakes(20, policy, safety, { executionsLastHour: 10 }).reason).toMatch(/10 executions in the last hour reached SRE_MAX_ACTIONS_PER_HOUR \(10\)/);
    expect(routeWithBrakes(20, policy, safety, { replaces: 'prp_old' }).reason).toMatch(/after prp_old went stale/);
    expect(holdingBrakes({ paused: { by: null, reason: null, at: null }, executionsLastHour: 11, cooldown: { action: 'a', target: 't', at: AT } }, safety).map((b) => b.check)).toEqual(['kill_switch', 'cooldown', 'hourly_cap']);
  });

  it('a gated proposal stays gated with its own reason', () => {
    expect(routeWithBrakes(60, policy, safety, { executionsLastHour: 99 })).toMatchObject({ route: 'gate', reason: expect.stringMatching(/60 > threshold 40/), held: [] });
  });
});

describe('verification rules', () => {
  it('watches each action for its window; a circuit-break before it restores itself; a page not at all', () => {
    expect(verifyWindowFor(cb, 300_000)).toBe(115_000);
    expect(verifyWindowFor({ action: 'raise_rate_limit', params: { team: 't', requests_per_minute: 2, previous: 1, reason: 'r' } }, 300_000)).toBe(300_000);
    expect(verifyWindowFor({ action: 'page_oncall', params: { severity: 'error', summary: 's', reason: 'r' } }, 300_000)).toBeUndefined();
  });

  it('measures severity per event type, larger is worse', () => {
    expect(severityOf('provider.unhealthy', { error_rate: 0.7 })).toBe(0.7);
    expect(severityOf('latency.spike', { latency_ms: 4000, rolling_median_ms: 1000 })).toBe(4);
    expect(severityOf('sla.violation', { metric: 'p95_latency_ms', target: 1000, observed: 2500 })).toBe(2.5);
    expect(severityOf('sla.violation', { metric: 'success_rate', target: 0.99, observed: 0.95 })).toBeCloseTo(5);
    expect(severityOf('budget.exceeded', { spend_usd: 1100, limit_usd: 1000 })).toBeCloseTo(1.1);
  });

  it('passes without worse events; fails on an event at the same or worse severity, or when the change is gone', () => {
    const base = { operation: 'execute' as const, windowMs: 300_000, baseline: 0.7, observed: 'applied' as const };
    expect(verdict({ ...base, later: [0.1, 0.3] })).toMatchObject({ passed: true, evidence: { later_events: 2, same_or_worse: 0 } });
    expect(verdict({ ...base, later: [0.1, 0.7] })).toMatchObject({ passed: false, reason: expect.stringMatching(/1 event\(s\) at the same or worse severity.*did not help/) });
    expect(verdict({ ...base, later: [], observed: 'not_applied' })).toMatchObject({ passed: false, reason: 'the gateway no longer shows the change' });
    expect(verdict({ ...base, later: [], observed: new Error('503') })).toMatchObject({ passed: true, evidence: { target_read: 'read failed: 503' } });
  });

  it('a revert passes when the change is gone and fails when the gateway still shows it', () => {
    expect(verdict({ operation: 'revert', windowMs: 1, baseline: 0.7, later: [0.9], observed: 'not_applied' }).passed).toBe(true);
    expect(verdict({ operation: 'revert', windowMs: 1, baseline: 0.7, later: [], observed: 'applied' })).toMatchObject({ passed: false, reason: expect.stringMatching(/still shows the change/) });
  });
});
