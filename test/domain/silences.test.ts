import { describe, expect, it } from 'vitest';
import {
  endsAtProblem,
  globMatches,
  matchSubject,
  matcherTokens,
  occurrence,
  parseMaintenance,
  parseMatchers,
  parseSchedule,
  parseSilenceDuration,
  silenceLine,
  silenceMatches,
  zonedInstant,
} from '../../src/domain/silences.js';

const iso = (d: Date) => d.toISOString();
const window = (text: string) => {
  const s = parseSchedule(text);
  if (!s.ok) throw new Error(s.problem);
  return s.value;
};
const occ = (text: string, at: string, tz: string) => {
  const o = occurrence(window(text), new Date(at), tz);
  return { start: iso(o.start), end: iso(o.end), active: o.active };
};

describe('matchers', () => {
  it('match by equality or a trailing * prefix; every matcher must hold', () => {
    expect(globMatches('openai', 'openai')).toBe(true);
    expect(globMatches('openai', 'openai-eu')).toBe(false);
    expect(globMatches('open*', 'openai-eu')).toBe(true);
    expect(globMatches('*', 'anything')).toBe(true);
    expect(globMatches('*', undefined)).toBe(false);
    const subject = matchSubject('provider.unhealthy', { provider: 'azure-openai', model_group: 'gpt-4o', error_rate: 0.5 });
    expect(silenceMatches({ provider: 'azure-*' }, subject)).toBe(true);
    expect(silenceMatches({ provider: 'azure-*', type: 'provider.*' }, subject)).toBe(true);
    expect(silenceMatches({ provider: 'azure-*', type: 'sla.*' }, subject)).toBe(false);
    expect(silenceMatches({ team: 'payments' }, subject)).toBe(false);
    expect(silenceMatches({}, subject)).toBe(false);
    // A budget scoped to a team answers the team matcher too.
    expect(silenceMatches({ team: 'payments' }, matchSubject('budget.exceeded', { scope: 'team', scope_id: 'payments' }))).toBe(true);
    expect(silenceMatches({ sla_id: 'gold-*' }, matchSubject('sla.violation', { sla_id: 'gold-eu', team: 'x' }))).toBe(true);
  });

  it('refuse what is not a matcher, naming it', () => {
    expect(parseMatchers({ region: 'eu' })).toEqual({ ok: false, problem: expect.stringMatching(/matchers\.region: unknown matcher key/) });
    expect(parseMatchers({})).toEqual({ ok: false, problem: expect.stringMatching(/at least one matcher/) });
    expect(parseMatchers({ provider: '' })).toEqual({ ok: false, problem: expect.stringMatching(/matchers\.provider: expected a non-empty text/) });
    expect(parseMatchers({ provider: 'a*b' })).toEqual({ ok: false, problem: expect.stringMatching(/only at the end/) });
    expect(parseMatchers(['provider=openai'])).toMatchObject({ ok: false });
    expect(parseMatchers({ provider: ' openai ' })).toEqual({ ok: true, value: { provider: 'openai' } });
    expect(matcherTokens(['provider=openai', 'type=provider.*'])).toEqual({ ok: true, value: { provider: 'openai', type: 'provider.*' } });
    expect(matcherTokens(['openai'])).toMatchObject({ ok: false, problem: expect.stringMatching(/expected key=value/) });
  });

  it('durations and ends_at', () => {
    expect(parseSilenceDuration('2h')).toBe(7_200_000);
    expect(parseSilenceDuration('1h30m')).toBe(5_400_000);
    expect(parseSilenceDuration('7d')).toBe(7 * 86_400_000);
    for (const bad of ['', 'h', '2', '2x', '-2h', '0m', '2 h']) expect(parseSilenceDuration(bad), bad).toBeUndefined();
    const now = new Date('2026-11-24T10:00:00Z');
    expect(endsAtProblem(undefined, now, now)).toMatch(/ends_at: required/);
    expect(endsAtProblem(new Date('2026-11-24T09:00:00Z'), now, now)).toMatch(/in the past/);
    expect(endsAtProblem(new Date('2026-12-01T10:00:01Z'), now, now)).toMatch(/at most 7 days ahead/);
    expect(endsAtProblem(new Date('2026-12-01T10:00:00Z'), now, now)).toBeUndefined();
  });

  it('say "silenced until 02:00 by alice: migration" in the operators\' zone', () => {
    const now = new Date('2026-11-24T23:00:00Z');
    expect(silenceLine({ until: new Date('2026-11-25T01:00:00Z'), by: 'alice', reason: 'migration' }, now, 'Europe/Berlin')).toBe('silenced until 02:00 by alice: migration');
    expect(silenceLine({ until: new Date('2026-11-25T01:00:00Z'), by: 'alice', reason: 'migration' }, now, 'UTC')).toBe('silenced until Wed 25 Nov 01:00 by alice: migration');
  });
});

describe('weekly windows across daylight-saving changes', () => {
  it('parse, and refuse what is not a window', () => {
    expect(window('sun 02:00-04:00')).toEqual({ day: 0, start: 120, end: 240 });
    expect(window('Saturday 23:00-01:00')).toEqual({ day: 6, start: 1380, end: 60 });
    for (const bad of ['sun', 'sun 2:00-4:00', 'funday 02:00-04:00', 'sun 02:00-02:00', 'sun 25:00-26:00', 'sun 02:00-04:00 extra']) expect(parseSchedule(bad).ok, bad).toBe(false);
    expect(parseMaintenance('sun 02:00-04:00 provider=azure-openai; sat 22:00-23:00 sla_id=gold-*')).toMatchObject({
      ok: true,
      value: [
        { id: 'mnt_1', matchers: { provider: 'azure-openai' } },
        { id: 'mnt_2', matchers: { sla_id: 'gold-*' } },
      ],
    });
    expect(parseMaintenance('sun 02:00-04:00')).toMatchObject({ ok: false, problem: expect.stringMatching(/window 1: .*at least one matcher/) });
    expect(parseMaintenance('sun 02:00-04:00 region=eu')).toMatchObject({ ok: false, problem: expect.stringMatching(/window 1: matchers\.region: unknown/) });
  });

  it('Europe/Berlin: the spring gap shortens the window, the autumn repeat takes the later 02:00', () => {
    const tz = 'Europe/Berlin';
    expect(occ('sun 02:00-04:00', '2026-03-21T12:00:00Z', tz)).toEqual({ start: '2026-03-22T01:00:00.000Z', end: '2026-03-22T03:00:00.000Z', active: false });
    // 29 March: clocks jump 02:00 → 03:00; the window runs 03:00–04:00 CEST.
    expect(occ('sun 02:00-04:00', '2026-03-28T12:00:00Z', tz)).toEqual({ start: '2026-03-29T01:00:00.000Z', end: '2026-03-29T02:00:00.000Z', active: false });
    expect(occ('sun 02:00-04:00', '2026-04-04T12:00:00Z', tz)).toEqual({ start: '2026-04-05T00:00:00.000Z', end: '2026-04-05T02:00:00.000Z', active: false });
    // 25 October: 02:00–03:00 happens twice; the window starts at the second 02:00 (CET).
    expect(occ('sun 02:00-04:00', '2026-10-24T12:00:00Z', tz)).toEqual({ start: '2026-10-25T01:00:00.000Z', end: '2026-10-25T03:00:00.000Z', active: false });
    expect(occ('sun 02:00-04:00', '2026-10-25T02:30:00Z', tz)).toEqual({ start: '2026-10-25T01:00:00.000Z', end: '2026-10-25T03:00:00.000Z', active: true });
    expect(occ('sun 02:00-04:00', '2026-10-25T03:00:00Z', tz).start).toBe('2026-11-01T01:00:00.000Z');
  });

  it('America/New_York: the same rules on the US dates', () => {
    const tz = 'America/New_York';
    expect(occ('sun 02:00-04:00', '2026-02-28T12:00:00Z', tz)).toEqual({ start: '2026-03-01T07:00:00.000Z', end: '2026-03-01T09:00:00.000Z', active: false });
    // 8 March: 02:00 → 03:00 EDT.
    expect(occ('sun 02:00-04:00', '2026-03-07T12:00:00Z', tz)).toEqual({ start: '2026-03-08T07:00:00.000Z', end: '2026-03-08T08:00:00.000Z', active: false });
    expect(occ('sun 02:00-04:00', '2026-03-14T12:00:00Z', tz)).toEqual({ start: '2026-03-15T06:00:00.000Z', end: '2026-03-15T08:00:00.000Z', active: false });
    // 1 November: 01:00–02:00 happens twice; 01:30 is the second (EST), 02:00 is after the repeat.
    expect(occ('sun 01:30-03:00', '2026-10-31T12:00:00Z', tz)).toEqual({ start: '2026-11-01T06:30:00.000Z', end: '2026-11-01T08:00:00.000Z', active: false });
    expect(occ('sun 02:00-04:00', '2026-10-31T12:00:00Z', tz)).toEqual({ start: '2026-11-01T07:00:00.000Z', end: '2026-11-01T09:00:00.000Z', active: false });
    // A window across midnight, and one covering now.
    expect(occ('sat 23:00-01:00', '2026-11-08T05:30:00Z', tz)).toEqual({ start: '2026-11-08T04:00:00.000Z', end: '2026-11-08T06:00:00.000Z', active: true });
    expect(iso(zonedInstant(2026, 3, 8, 150, tz))).toBe('2026-03-08T07:30:00.000Z');
  });
});
