import { describe, expect, it } from 'vitest';
import { actionInWords, duration, reasonInWords, factorInWords, incidentInWords, pageOutcome, person, resultInWords, riskInWords, severityOf, timeLeft, topFactors } from '../../src/domain/words.js';

describe('words', () => {
  it('says what each action does', () => {
    expect(actionInWords('reroute_model_group', { model_group: 'gpt-4o', provider: 'azure-openai', previous_provider: 'openai' })).toBe('Move gpt-4o from openai to azure-openai');
    expect(actionInWords('circuit_break_provider', { provider: 'openai', duration_seconds: 120 })).toBe("Break openai's circuit for 2 min");
    expect(actionInWords('page_oncall', { severity: 'critical', summary: 'x' })).toBe('Page on-call');
    expect(actionInWords('circuit_break_provider', {})).toBe("Break a provider's circuit");
    expect(actionInWords('rm_rf', {})).not.toMatch(/_/);
  });

  it('recorded reasons without raw read states', () => {
    expect(reasonInWords(':white_check_mark: no event within 5 min (target read: not_applied)')).toBe(':white_check_mark: no event within 5 min (the change is not in place)');
  });

  it('spans, time left, bands', () => {
    expect(duration(45_000)).toBe('45 s');
    expect(duration(65 * 60_000)).toBe('1 h 5 min');
    expect(timeLeft('2026-01-01T00:14:00Z', new Date('2026-01-01T00:00:00Z'))).toBe('14 min left');
    expect(riskInWords(43, { riskThreshold: 40, autoApprove: true })).toBe('medium · 43 — a person decides; auto at ≤ 40');
  });

  it('the incident in words, with how badly', () => {
    const i = { type: 'provider.unhealthy', subject: 'provider openai', latest: { provider: 'openai', error_rate: 0.62, requests: 600, window_seconds: 60, model_group: 'gpt-4o' }, first_seen: '2026-01-01T00:00:00Z', last_seen: '2026-01-01T00:28:00Z' };
    expect(incidentInWords(i)).toBe('openai fails 62 % of gpt-4o requests, about 372 a minute, for 28 min');
    expect(severityOf(i)).toBe('critical');
  });

  it('people as mentions, never ids in brackets', () => {
    expect(person('alice (slack U0ALICE)').text).toBe('<@U0ALICE>');
    expect(person('alice (slack U0ALICE)', { mention: false }).text).toBe('alice');
    expect(person('system:policy').text).toBe('the policy');
    expect(person('email:a@b.c').text).toBe('a@b.c');
  });

  it('a log-only page is not paged', () => {
    expect(pageOutcome({ paged: false, not_paged: 'PagerDuty is not configured' })).toEqual({ paged: false, why: 'PagerDuty is not configured' });
    expect(pageOutcome({ dedup_key: 'k', status: 'logged' }).paged).toBe(false);
    expect(pageOutcome({ dedup_key: 'k', status: 'success' }).paged).toBe(true);
    expect(pageOutcome({ ok: true, response: { pagerduty: { dedup_key: 'k', status: 'logged' } } }).paged).toBe(false);
    expect(resultInWords('page_oncall', {}, 'succeeded', { paged: false })).toBe('Not paged: PagerDuty is not configured');
    expect(resultInWords('reroute_model_group', { model_group: 'g', provider: 'b', previous_provider: 'a' }, 'succeeded', { applied: true })).toBe('Done: moved g from a to b');
  });

  it('factors in words, without action ids or timestamps', () => {
    const f = [
      { name: 'baseline', delta: 25, reason: 'baseline risk of reroute_model_group' },
      { name: 'recent_rejection', delta: 20, reason: 'a similar proposal was rejected 2026-01-01T00:00:00.000Z: "not now"' },
      { name: 'repetition', delta: 10, reason: 'reroute_model_group on model_group:x already ran 1× in the last 24 h: the first did not hold' },
    ];
    const words = topFactors(f).join(' | ');
    expect(words).toBe('recently rejected: “not now” (+20) | already tried: ran 1× in the last 24 h (+10) | the action itself (+25)');
    expect(factorInWords({ name: 'magnitude', delta: 4, reason: '40 % of the hard bound (circuit-break openai for 120s)' })).toBe('size of the change: 40 % of the most allowed (+4)');
  });
});
