import { describe, expect, it } from 'vitest';
import { parseStreamEntry } from '../../../src/ingest/redis-consumer.js';
import { isTransientError } from '../../../src/ingest/stream/transient.js';
import { providerEvent } from './support.js';

describe('parseStreamEntry', () => {
  it('reads the envelope from the field "event"', () => {
    const e = providerEvent(1);
    expect(parseStreamEntry({ event: JSON.stringify(e) })).toEqual({ ok: true, event: e });
  });

  it('names what is wrong: missing field, bad JSON, oversized, schema problems with their path', () => {
    expect(parseStreamEntry({ payload: '{}' })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^event: missing field/)] });
    expect(parseStreamEntry({ event: '{"id":' })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^event: not valid JSON/)] });
    expect(parseStreamEntry({ event: 'x'.repeat(1_000_001) })).toMatchObject({ ok: false, problems: [expect.stringMatching(/more than the 1000000 allowed/)] });
    const bad = { ...providerEvent(2), data: { provider: 'openai', error_rate: 7, requests: 1, window_seconds: 60 } };
    expect(parseStreamEntry({ event: JSON.stringify(bad) })).toMatchObject({ ok: false, id: bad.id, problems: [expect.stringMatching(/^data\.error_rate:/)] });
  });
});

describe('isTransientError', () => {
  it('treats connection loss and overload as transient, and bad data as not', () => {
    expect(isTransientError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientError(new Error('query failed', { cause: Object.assign(new Error('terminating'), { code: '57P01' }) }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('deadlock'), { code: '40P01' }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' }))).toBe(false);
    expect(isTransientError(new Error('plain'))).toBe(false);
  });
});
