import { describe, expect, it } from 'vitest';
import { canonicalEvent, PlatformEvent } from '../../src/domain/events.js';

// parseEvent answers the common case without zod (canonicalEvent). Whenever that path answers,
// zod must have answered the same: the same event, keys in the same order.

const envelope = { id: 'evt_01', occurred_at: '2026-11-25T10:00:00.123Z', source: 'admin-api' };
const valid: Record<string, Record<string, unknown>> = {
  'provider.unhealthy': { provider: 'openai', error_rate: 0.42, requests: 1200, window_seconds: 60, model_group: 'gpt', sample_errors: ['503'] },
  'budget.exceeded': { scope: 'team', scope_id: 't-42', limit_kind: 'hard', limit_usd: 1000, spend_usd: 1010.5, period: '2026-11' },
  'sla.violation': { sla_id: 'sla-gold', team: 't-42', metric: 'p95_latency_ms', target: 1200, observed: 1900, window_seconds: 300 },
  'latency.spike': { provider: 'anthropic', model: 'claude-sonnet-4-6', model_group: 'claude', latency_ms: 4200, rolling_median_ms: 900 },
};

const strings = ['', ' ', 'a', ' a', 'a ', '\ta', '.', '..', '...', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(100), 'x'.repeat(101), 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(2001), 'team', 'org', 'soft', 'hard', 'success_rate', 'Team'];
const numbers = [-1, -0, 0, 0.5, 1, 1.5, 60, 2 ** 53 - 1, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
const others = [null, undefined, '1', true, [], {}, ['503'], [' 503 '], Array.from({ length: 50 }, () => 'e'), Array.from({ length: 51 }, () => 'e'), ['x'.repeat(2000)], ['x'.repeat(2001)], [1]];
const times = ['2026-11-25T10:00:00Z', '2026-11-25T10:00:00.123456789Z', '2026-11-25T10:00:00+02:00', '2026-11-25T10:00:00', '2026-13-25T10:00:00Z', '2026-02-30T10:00:00Z', '2024-02-29T00:00:00Z', '2026-11-25 10:00:00Z', '2026-11-25T24:00:00Z', '2026-11-25t10:00:00z', ' 2026-11-25T10:00:00Z'];

/** Every valid event, and each with one field changed, removed or added. */
function cases(): unknown[] {
  const out: unknown[] = [null, [], 'event', 42];
  for (const [type, data] of Object.entries(valid)) {
    const base = { ...envelope, type, data };
    out.push(base);
    for (const k of [...Object.keys(envelope), 'type', 'data']) {
      const { [k]: _gone, ...rest } = base as Record<string, unknown>;
      out.push(rest);
      for (const v of [...strings, ...numbers, ...others, ...times]) out.push({ ...base, [k]: v });
    }
    out.push({ ...base, extra: 1 }, { ...base, type: 'provider.down' }, { ...base, data: [] }, { ...base, data: Object.create({ provider: 'x' }) as unknown });
    for (const k of Object.keys(data)) {
      const { [k]: _gone, ...rest } = data;
      out.push({ ...base, data: rest });
      for (const v of [...strings, ...numbers, ...others]) out.push({ ...base, data: { ...data, [k]: v } });
    }
    out.push({ ...base, data: { ...data, extra: 'x' } });
    // The same keys in another order.
    out.push({ data: Object.fromEntries(Object.entries(data).reverse()), type, source: envelope.source, occurred_at: envelope.occurred_at, id: envelope.id });
  }
  return out;
}

describe('events: the fast path', () => {
  it('answers only as zod answers: the same event, its keys in the same order', () => {
    let fast = 0;
    for (const c of cases()) {
      const got = canonicalEvent(c);
      if (got === undefined) continue;
      fast++;
      const z = PlatformEvent.safeParse(c);
      expect(z.success, JSON.stringify(c)).toBe(true);
      expect(JSON.stringify(got)).toBe(JSON.stringify(z.data));
      expect(got).toStrictEqual(z.data);
    }
    // Not a path that never answers: most mutations above leave a valid, canonical event.
    expect(fast).toBeGreaterThan(100);
  });

  it.each(Object.entries(valid))('takes %s as the stream carries it, and copies it', (type, data) => {
    const input = JSON.parse(JSON.stringify({ ...envelope, type, data })) as Record<string, unknown>;
    const got = canonicalEvent(input);
    expect(got).toStrictEqual(PlatformEvent.parse(input));
    expect(got).not.toBe(input);
    expect(got!.data).not.toBe(input.data);
  });

  it('leaves to zod what zod would change or refuse', () => {
    const base = { ...envelope, type: 'provider.unhealthy', data: valid['provider.unhealthy'] };
    for (const c of [
      { ...base, id: ' evt_01' },
      { ...base, extra: true },
      { ...base, data: { ...valid['provider.unhealthy'], extra: true } },
      { ...base, data: { ...valid['provider.unhealthy'], error_rate: 1.01 } },
      { ...base, occurred_at: '2026-11-25T10:00:00' },
    ]) {
      expect(canonicalEvent(c), JSON.stringify(c)).toBeUndefined();
    }
  });
});
