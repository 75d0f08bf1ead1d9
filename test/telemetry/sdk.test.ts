import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { currentTraceparent, isTracing, startTracing, traceHeaders, withSpan, type DropReason, type Tracing } from '../../src/telemetry/index.js';
import { createTestClock, type TestClock } from '../support/clock.js';
import { eventually } from '../support/eventually.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * The SDK as configured by OpenTelemetry's variables, each checked by what reaches a local
 * collector (test/telemetry/receiver.ts) rather than assumed: the endpoint, the sampler, the
 * batch processor's limits and what it drops and counts.
 */

let tracing: Tracing | undefined;
let receiver: Receiver | undefined;
let testClock: TestClock | undefined;
afterEach(async () => {
  // Stopping is bounded on the tracing's clock: a test clock is moved past the bound.
  const stopping = tracing?.shutdown(100);
  await testClock?.advance(100);
  await stopping;
  await receiver?.close();
  tracing = undefined;
  receiver = undefined;
  testClock = undefined;
});

function start(env: Record<string, string>, clock: Parameters<typeof startTracing>[1]['clock'] = systemClock) {
  if (clock !== systemClock) testClock = clock as TestClock;
  const dropped: Record<DropReason, number> = { queue_full: 0, export_failed: 0 };
  tracing = startTracing(loadConfig(env).telemetry, { clock, onDropped: (n, reason) => (dropped[reason] += n) });
  return dropped;
}

const spans = (n: number, parent?: string) => Promise.all(Array.from({ length: n }, (_, i) => withSpan(`span ${i}`, { parent }, async () => {})));

describe('tracing off', () => {
  it('builds nothing without an endpoint: spans are the API no-op, nothing is propagated or stored', async () => {
    start({});
    expect(tracing!.enabled).toBe(false);
    expect(isTracing()).toBe(false);
    await withSpan('work', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(currentTraceparent()).toBeUndefined();
      expect(traceHeaders()).toEqual({});
    });
  });

  it('stays off with OTEL_SDK_DISABLED=true whatever endpoint is set', async () => {
    receiver = await startReceiver();
    start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' });
    expect(tracing!.enabled).toBe(false);
    expect(isTracing()).toBe(false);
  });
});

describe('the OTLP endpoint and sampler', () => {
  it('sends to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, over the general endpoint', async () => {
    receiver = await startReceiver();
    start({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' });
    await spans(1);
    await tracing!.forceFlush();
    expect(receiver.spans.map((s) => s.name)).toEqual(['span 0']);
  });

  it('OTEL_TRACES_SAMPLER=always_off and traceidratio with ratio 0 export nothing; always_on exports', async () => {
    for (const [env, expected] of [[{ OTEL_TRACES_SAMPLER: 'always_off' }, 0], [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, 0], [{ OTEL_TRACES_SAMPLER: 'always_on' }, 3]] as const) {
      receiver = await startReceiver();
      start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env });
      await spans(3);
      await tracing!.forceFlush();
      expect(receiver.spans.length, JSON.stringify(env)).toBe(expected);
      await tracing!.shutdown(100);
      await receiver.close();
    }
  });

  it('parentbased_always_off samples no new trace but follows a stored sampled parent', async () => {
    receiver = await startReceiver();
    start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'parentbased_always_off' });
    const parent = `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`;
    await spans(2);
    await spans(1, parent);
    await tracing!.forceFlush();
    expect(receiver.spans.map((s) => [s.traceId, s.parentSpanId])).toEqual([['ab'.repeat(16), 'cd'.repeat(8)]]);
  });
});

describe('the batch processor (OTEL_BSP_*)', () => {
  it('sends at most OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans a request', async () => {
    receiver = await startReceiver();
    start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2' });
    await spans(5);
    await tracing!.forceFlush();
    expect(receiver.batches).toEqual([2, 2, 1]);
  });

  it('sends a partial batch after OTEL_BSP_SCHEDULE_DELAY on the clock, without a flush', async () => {
    receiver = await startReceiver();
    const clock = createTestClock();
    start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '60000' }, clock);
    await spans(1);
    await clock.advance(60_000);
    await eventually(() => receiver!.spans.length === 1, { what: 'the span sent after the schedule delay' });
  });

  it('drops and counts spans past OTEL_BSP_MAX_QUEUE_SIZE while a collector hangs, never waiting', async () => {
    receiver = await startReceiver('hang');
    const dropped = start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_MAX_QUEUE_SIZE: '3', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1' });
    // One span goes out (and hangs), three wait in the queue, the other six are dropped at once.
    await spans(10);
    expect(dropped).toEqual({ queue_full: 6, export_failed: 0 });
  });

  it('gives an export up after OTEL_BSP_EXPORT_TIMEOUT and counts its spans', async () => {
    receiver = await startReceiver('hang');
    const clock = createTestClock();
    const dropped = start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_EXPORT_TIMEOUT: '1000', OTEL_EXPORTER_OTLP_TIMEOUT: '600000' }, clock);
    await spans(2);
    const flushed = tracing!.forceFlush();
    await eventually(() => receiver!.requests === 1, { what: 'the export request at the hanging collector' });
    await clock.advance(1_000);
    await flushed;
    expect(dropped).toEqual({ queue_full: 0, export_failed: 2 });
  });

  it('counts the spans a refusing collector (503) or a closed port did not take', async () => {
    receiver = await startReceiver('refuse');
    const refused = start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TIMEOUT: '300' });
    await spans(2);
    await tracing!.forceFlush();
    expect(refused.export_failed).toBe(2);
    expect(receiver.requests).toBeGreaterThan(0);
    await tracing!.shutdown(100);
    const url = receiver.url;
    await receiver.close();
    receiver = undefined;
    const closed = start({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_TIMEOUT: '300' });
    await spans(1);
    await tracing!.forceFlush();
    expect(closed.export_failed).toBe(1);
  });

  it('stops within its bound while the collector hangs, and tracing is off after', async () => {
    receiver = await startReceiver('hang');
    const clock = createTestClock();
    start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_EXPORT_TIMEOUT: '600000' }, clock);
    await spans(1);
    const stopping = tracing!.shutdown(2_000);
    await eventually(() => receiver!.requests === 1, { what: 'the export request at the hanging collector' });
    await clock.advance(2_000);
    await stopping;
    expect(isTracing()).toBe(false);
  });
});
