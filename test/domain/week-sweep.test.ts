import { describe, expect, it } from 'vitest';
import { normalizeAction, specFor, type ActionRequest } from '../../src/domain/actions.js';
import { routeProposal } from '../../src/domain/policy.js';
import { scoreRisk } from '../../src/domain/risk.js';

/**
 * All 168 hours of one week, in several time zones, for the routing boundary. The week of
 * Monday 2026-11-23 has no daylight-saving change anywhere below, so each zone's UTC offset is a
 * constant and the expected local hour is plain arithmetic, independent of the Intl code under test.
 */
const ZONES: [zone: string, offsetMinutes: number][] = [
  ['UTC', 0],
  ['America/Los_Angeles', -8 * 60],
  ['America/New_York', -5 * 60],
  ['Europe/Berlin', 60],
  ['Asia/Kolkata', 5 * 60 + 30],
  ['Australia/Sydney', 11 * 60],
  ['Pacific/Chatham', 13 * 60 + 45],
];
const MONDAY_LOCAL_MIDNIGHT = Date.UTC(2026, 10, 23, 0, 0, 0);

/** The rule, as operators read it: weekday business hours 9–18 add nothing, evenings 5, nights 10; weekends 10, weekend nights 15. */
function expectedDelta(dayOfWeek: number, hour: number): number {
  const weekend = dayOfWeek >= 5; // Saturday, Sunday (0 = Monday)
  const night = hour >= 22 || hour < 7;
  if (weekend) return night ? 15 : 10;
  if (night) return 10;
  return hour >= 9 && hour < 18 ? 0 : 5;
}

function request(action: string, params: Record<string, unknown>): ActionRequest {
  const r = normalizeAction(action, params);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.request;
}

const REQUESTS = [
  request('circuit_break_provider', { provider: 'openai', duration_seconds: 5, reason: 'r' }),
  request('reroute_model_group', { model_group: 'gpt', provider: 'azure', previous_provider: 'openai', reason: 'r' }),
];

function* week(offsetMinutes: number) {
  for (let h = 0; h < 168; h++) {
    yield { day: Math.floor(h / 24), hour: h % 24, at: new Date(MONDAY_LOCAL_MIDNIGHT + h * 3_600_000 - offsetMinutes * 60_000) };
  }
}

describe('the routing boundary over all 168 hours of a week', () => {
  it.each(ZONES)('%s: the score is the baseline plus the time-of-day factor, and routing flips exactly at the threshold', (zone, offset) => {
    for (const req of REQUESTS) {
      const baseline = specFor(req.action).baseline;
      const hoursByDelta = new Map<number, number>();
      for (const { day, hour, at } of week(offset)) {
        const delta = expectedDelta(day, hour);
        hoursByDelta.set(delta, (hoursByDelta.get(delta) ?? 0) + 1);
        const { score, factors } = scoreRisk({ request: req, now: at, timeZone: zone, criticalTeams: [], history: [], incident: { type: 'provider.unhealthy', teams: [] } });
        const where = `${req.action} at ${at.toISOString()} (${zone} day ${day} ${hour}:00)`;
        expect(score, where).toBe(baseline + delta);
        expect(factors.find((f) => f.name === 'time_of_day')?.delta ?? 0, where).toBe(delta);
        expect(routeProposal(score, { riskThreshold: score, autoApprove: true }).route, where).toBe('auto');
        expect(routeProposal(score, { riskThreshold: score - 1, autoApprove: true }).route, where).toBe('gate');
        expect(routeProposal(score, { riskThreshold: 100, autoApprove: false }).route, where).toBe('gate');
      }
      // 5 × 9 business hours, 5 × 6 evening hours, 5 × 9 night plus 2 × 15 weekend hours, 2 × 9 weekend night hours.
      expect(Object.fromEntries(hoursByDelta)).toEqual({ 0: 45, 5: 30, 10: 75, 15: 18 });
    }
  });

  it('at threshold 39 a reroute (baseline 25) is gated in exactly the 18 weekend-night hours of the week', () => {
    const reroute = REQUESTS[1]!;
    const routes = [...week(0)].map(({ at }) => routeProposal(scoreRisk({ request: reroute, now: at, timeZone: 'UTC', criticalTeams: [], history: [], incident: { type: 'provider.unhealthy', teams: [] } }).score, { riskThreshold: 39, autoApprove: true }).route);
    // 25 + 15 = 40 > 39: only the 18 weekend-night hours are gated.
    expect(routes.filter((r) => r === 'gate')).toHaveLength(18);
  });
});
