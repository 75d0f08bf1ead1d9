import { describe, expect, it } from 'vitest';
import { normalizeAction, type ActionRequest } from '../../src/domain/actions.js';
import { FAILED_VERIFICATION_DELTA, recentFailedVerification, scoreRisk, type FailedVerification, type RiskInput } from '../../src/domain/risk.js';

/** recent_failed_verification (issue 19, item 5): its own factor, only for the same action on the same subject within 7 days. */

const NOW = new Date('2026-11-25T10:00:00Z');
const H = 3_600_000;

function request(action: string, params: Record<string, unknown>): ActionRequest {
  const r = normalizeAction(action, params);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.request;
}
const breakOpenai = request('circuit_break_provider', { provider: 'openai', duration_seconds: 120, reason: 'r' });
const failed = (over: Partial<FailedVerification> = {}): FailedVerification => ({ action: 'circuit_break_provider', target: 'provider:openai', at: new Date(NOW.getTime() - 3 * H), reason: 'it did not help', reverted: true, ...over });
const input = (failedVerifications: FailedVerification[], req = breakOpenai): RiskInput => ({
  request: req,
  now: NOW,
  timeZone: 'UTC',
  criticalTeams: [],
  history: [],
  incident: { type: 'provider.unhealthy', teams: [] },
  failedVerifications,
});

describe('recent_failed_verification', () => {
  it('adds its own factor, with when and why in words, after a failed verification of the same action here', () => {
    const s = scoreRisk(input([failed(), failed({ at: new Date(NOW.getTime() - 30 * H), reverted: false })]));
    const f = s.factors.find((x) => x.name === 'recent_failed_verification');
    expect(f).toEqual({ name: 'recent_failed_verification', delta: FAILED_VERIFICATION_DELTA, reason: 'circuit_break_provider on provider:openai failed its verification 3 h ago and was reverted: it did not help (2× in the last 7 d)' });
    expect(s.score - scoreRisk(input([])).score).toBe(FAILED_VERIFICATION_DELTA);
  });

  it('adds nothing for another action, another subject, or a failure older than 7 days', () => {
    expect(recentFailedVerification(input([]))).toBeUndefined();
    expect(recentFailedVerification(input([failed({ action: 'reroute_model_group' })]))).toBeUndefined();
    expect(recentFailedVerification(input([failed({ target: 'provider:anthropic' })]))).toBeUndefined();
    expect(recentFailedVerification(input([failed({ at: new Date(NOW.getTime() - 8 * 24 * H) })]))).toBeUndefined();
  });
});
