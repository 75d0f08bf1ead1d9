import { describe, expect, it } from 'vitest';
import { incidentKey, incidentSubject, parseEvent, type PlatformEvent } from '../../src/domain/events.js';

const envelope = { id: 'evt_01', occurred_at: '2026-11-25T10:00:00Z', source: 'admin-api' };
const valid = {
  'provider.unhealthy': { provider: 'openai', error_rate: 0.42, requests: 1200, window_seconds: 60, model_group: 'gpt', sample_errors: ['503'] },
  'budget.exceeded': { scope: 'team', scope_id: 't-42', limit_kind: 'hard', limit_usd: 1000, spend_usd: 1010.5, period: '2026-11' },
  'sla.violation': { sla_id: 'sla-gold', team: 't-42', metric: 'p95_latency_ms', target: 1200, observed: 1900, window_seconds: 300 },
  'latency.spike': { provider: 'anthropic', model: 'claude-sonnet-4-6', model_group: 'claude', latency_ms: 4200, rolling_median_ms: 900 },
} as const;

function accepted(input: unknown): PlatformEvent {
  const r = parseEvent(input);
  if (!r.ok) throw new Error(`rejected: ${r.problems.join('; ')}`);
  return r.event;
}
function problems(input: unknown): string[] {
  const r = parseEvent(input);
  if (r.ok) throw new Error('accepted an invalid event');
  return r.problems;
}

describe('events', () => {
  it.each(Object.entries(valid))('accepts %s', (type, data) => {
    const e = accepted({ ...envelope, type, data });
    expect(e.type).toBe(type);
    expect(e.data).toEqual(data);
  });

  it.each([
    ['provider.unhealthy', 'provider'],
    ['provider.unhealthy', 'model_group'],
    ['budget.exceeded', 'scope_id'],
    ['sla.violation', 'sla_id'],
    ['sla.violation', 'team'],
    ['latency.spike', 'model_group'],
  ] as const)('refuses "." and ".." as %s %s: they would be dot-segments in admin-api paths', (type, field) => {
    for (const v of ['.', '..', ' .. ']) {
      const p = problems({ ...envelope, type, data: { ...valid[type], [field]: v } });
      expect(p.join('; ')).toMatch(new RegExp(`${field}.*are not names`));
    }
    expect(accepted({ ...envelope, type, data: { ...valid[type], [field]: '...x' } }).type).toBe(type);
  });

  it('accepts optional fields left out and an offset timestamp', () => {
    const e = accepted({ ...envelope, occurred_at: '2026-11-25T11:00:00+01:00', type: 'latency.spike', data: { provider: 'p', latency_ms: 1, rolling_median_ms: 1 } });
    expect(incidentKey(e)).toBe('latency:p');
  });

  it('rejects malformed input (not an object) with a message for the whole event', () => {
    expect(problems('{"id": "evt_01",')).toEqual([expect.stringMatching(/^\(event\): .*expected object/)]);
    expect(problems(null)).toEqual([expect.stringMatching(/^\(event\): /)]);
    expect(problems([])).toEqual([expect.stringMatching(/^\(event\): /)]);
  });

  it('rejects an unknown or missing type, naming the field and the known types', () => {
    for (const type of ['provider.exploded', undefined, 42]) {
      const p = problems({ ...envelope, type, data: {} });
      expect(p).toEqual([expect.stringMatching(/^type: unknown event type; expected one of provider\.unhealthy, budget\.exceeded/)]);
    }
  });

  it.each([
    ['provider.unhealthy', 'error_rate'],
    ['budget.exceeded', 'limit_kind'],
    ['sla.violation', 'observed'],
    ['latency.spike', 'rolling_median_ms'],
  ] as const)('rejects %s without %s, naming data.%s, and keeps the id', (type, field) => {
    const data: Record<string, unknown> = { ...valid[type] };
    delete data[field];
    const r = parseEvent({ ...envelope, type, data });
    expect(r).toMatchObject({ ok: false, id: 'evt_01' });
    expect(problems({ ...envelope, type, data })).toEqual([expect.stringMatching(new RegExp(`^data\\.${field}: `))]);
  });

  it('rejects wrong types and out-of-range values, one message per field', () => {
    const p = problems({ ...envelope, type: 'provider.unhealthy', data: { ...valid['provider.unhealthy'], requests: '1200', error_rate: 1.5, sample_errors: 'oops' } });
    expect(p).toHaveLength(3);
    expect(p).toEqual(expect.arrayContaining([
      expect.stringMatching(/^data\.requests: .*expected number, received string/),
      expect.stringMatching(/^data\.error_rate: /),
      expect.stringMatching(/^data\.sample_errors: /),
    ]));
    expect(problems({ ...envelope, type: 'budget.exceeded', data: { ...valid['budget.exceeded'], scope: 'galaxy' } })).toEqual([expect.stringMatching(/^data\.scope: /)]);
    expect(problems({ ...envelope, type: 'sla.violation', data: { ...valid['sla.violation'], metric: 'vibes' } })).toEqual([expect.stringMatching(/^data\.metric: /)]);
    expect(problems({ ...envelope, type: 'latency.spike', data: { ...valid['latency.spike'], latency_ms: -1 } })).toEqual([expect.stringMatching(/^data\.latency_ms: /)]);
  });

  it('rejects a bad envelope: every problem listed', () => {
    const p = problems({ id: '', type: 'latency.spike', occurred_at: 'yesterday', source: '', data: valid['latency.spike'] });
    expect(p.map((s) => s.split(':')[0])).toEqual(expect.arrayContaining(['id', 'occurred_at', 'source']));
  });

  it('gives one incident key per type (CONTRACT.md)', () => {
    const key = (type: keyof typeof valid, data: Record<string, unknown> = valid[type]) => incidentKey(accepted({ ...envelope, type, data }));
    expect(key('provider.unhealthy')).toBe('provider:openai');
    expect(key('provider.unhealthy', { ...valid['provider.unhealthy'], error_rate: 0.9, model_group: 'other' })).toBe('provider:openai');
    expect(key('budget.exceeded')).toBe('budget:team:t-42');
    expect(key('budget.exceeded', { ...valid['budget.exceeded'], scope: 'org', scope_id: 't-42' })).toBe('budget:org:t-42');
    expect(key('sla.violation')).toBe('sla:sla-gold');
    expect(key('latency.spike')).toBe('latency:anthropic:claude-sonnet-4-6');
    const { model: _m, ...noModel } = valid['latency.spike'];
    expect(key('latency.spike', noModel)).toBe('latency:anthropic');
  });

  it('names a readable subject', () => {
    expect(incidentSubject(accepted({ ...envelope, type: 'budget.exceeded', data: valid['budget.exceeded'] }))).toBe('team t-42 hard budget');
    expect(incidentSubject(accepted({ ...envelope, type: 'provider.unhealthy', data: valid['provider.unhealthy'] }))).toBe('provider openai');
  });
});
