import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Clock } from '../clock.js';
import { BoundedBatchProcessor, type DropReason } from './processor.js';
import type { SamplerName, TracingSettings } from './settings.js';

/** Tracing as the agent runs it: off (nothing built) or one SDK exporting OTLP/HTTP. */
export interface Tracing {
  readonly enabled: boolean;
  /** Sends what is queued now (each export bounded by OTEL_BSP_EXPORT_TIMEOUT). */
  forceFlush(): Promise<void>;
  /** Flushes for at most `timeoutMs`, then stops: what is still queued is dropped and counted. Idempotent. */
  shutdown(timeoutMs?: number): Promise<void>;
}

export interface TracingOptions {
  clock: Pick<Clock, 'after'>;
  /** Spans that never reached the collector (sre_trace_spans_dropped_total). */
  onDropped?: (n: number, reason: DropReason) => void;
}

const OFF: Tracing = { enabled: false, forceFlush: async () => {}, shutdown: async () => {} };

/**
 * The SDK registered once per process (the API's globals are per process); agents in one process
 * (tests, the bench) share it, each counting drops in its own metrics, and the last to stop shuts it down.
 */
let shared: { provider: NodeTracerProvider; processor: BoundedBatchProcessor; listeners: Set<(n: number, reason: DropReason) => void>; settings: TracingSettings } | undefined;

/** Whether the SDK runs in this process: callers skip work that only feeds spans (a trace context read) when it does not. */
export function isTracing(): boolean {
  return shared !== undefined;
}

/**
 * Starts tracing when an OTLP endpoint is configured; otherwise nothing is built and the
 * API's no-op implementation stays in place, so a span costs a function call.
 */
export function startTracing(settings: TracingSettings, opts: TracingOptions): Tracing {
  if (settings.tracesUrl === undefined) return OFF;
  if (shared && shared.settings !== settings && shared.settings.tracesUrl !== settings.tracesUrl) {
    throw new Error('tracing is already running in this process with another OTLP endpoint');
  }
  if (!shared) {
    const listeners = new Set<(n: number, reason: DropReason) => void>();
    const processor = new BoundedBatchProcessor(buildExporter(settings), settings.batch, opts.clock, (n, reason) => {
      for (const l of listeners) l(n, reason);
    });
    const provider = new NodeTracerProvider({
      resource: defaultResource().merge(resourceFromAttributes({ ...settings.resourceAttributes, [ATTR_SERVICE_NAME]: settings.serviceName })),
      sampler: buildSampler(settings.sampler.name, settings.sampler.ratio),
      spanProcessors: [processor],
    });
    // The AsyncLocalStorage context manager and the W3C trace-context and baggage propagators.
    provider.register();
    shared = { provider, processor, listeners, settings };
  }
  const mine = shared;
  const listener = opts.onDropped ?? (() => {});
  mine.listeners.add(listener);
  let stopped = false;
  return {
    enabled: true,
    forceFlush: () => mine.processor.forceFlush(),
    async shutdown(timeoutMs = 5_000) {
      if (stopped) return;
      stopped = true;
      if (mine.listeners.size > 1) {
        await bounded(mine.processor.forceFlush(), timeoutMs, opts.clock);
        mine.listeners.delete(listener);
        return;
      }
      await bounded(mine.provider.shutdown(), timeoutMs, opts.clock);
      mine.listeners.delete(listener);
      if (shared === mine) shared = undefined;
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

function buildExporter(s: TracingSettings): SpanExporter {
  // The processor sends one export at a time; the exporter's limit bounds the requests a hanging
  // collector still holds after their exports were given up (past it, an export fails at once, counted).
  const config = { url: s.tracesUrl!, headers: { ...s.headers }, timeoutMillis: s.requestTimeoutMs, concurrencyLimit: 4 };
  return s.protocol === 'http/json' ? new JsonExporter(config) : new ProtobufExporter(config);
}

export function buildSampler(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/** Waits for `p` at most `ms`: a collector that hangs never holds up the drain. */
function bounded(p: Promise<unknown>, ms: number, clock: Pick<Clock, 'after'>): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = clock.after(ms, resolve);
    p.then(
      () => (t.cancel(), resolve()),
      () => (t.cancel(), resolve()),
    );
  });
}
