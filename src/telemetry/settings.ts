/**
 * What tracing is told by the configuration (src/config.ts parses OpenTelemetry's standard
 * variables into this; nothing here reads the environment).
 */

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface BatchSettings {
  /** OTEL_BSP_SCHEDULE_DELAY: the longest a finished span waits before its batch is sent. */
  scheduleDelayMs: number;
  /** OTEL_BSP_EXPORT_TIMEOUT: one export given up (its spans counted as dropped) after this. */
  exportTimeoutMs: number;
  /** OTEL_BSP_MAX_QUEUE_SIZE: spans waiting beyond it are dropped and counted, never waited for. */
  maxQueueSize: number;
  /** OTEL_BSP_MAX_EXPORT_BATCH_SIZE: spans per export request. */
  maxExportBatchSize: number;
}

export interface TracingSettings {
  /** The OTLP/HTTP traces URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces); unset: tracing is off. */
  tracesUrl: string | undefined;
  protocol: OtlpProtocol;
  /** OTEL_EXPORTER_OTLP_HEADERS (may hold credentials: never logged). */
  headers: Record<string, string>;
  /** OTEL_EXPORTER_OTLP_TIMEOUT: one HTTP request to the collector. */
  requestTimeoutMs: number;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  sampler: { name: SamplerName; ratio: number };
  batch: BatchSettings;
  /** SRE_TRACE_URL: a link template with `{trace_id}`, for the console. */
  traceUrl: string | undefined;
}

/** The console's link to a trace, or undefined when SRE_TRACE_URL is unset or the id is not a trace id. */
export function traceLink(template: string | undefined, traceId: string | null | undefined): string | undefined {
  if (!template || !traceId || !/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) return undefined;
  return template.split('{trace_id}').join(traceId);
}

/** The trace id of a W3C traceparent (`00-<trace id>-<span id>-<flags>`), or undefined. */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return m && !/^0+$/.test(m[1]!) ? m[1] : undefined;
}

/** `key=value,key=value` with percent-encoded values (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS); problems name the entry, never a value. */
export function parseKeyValues(text: string | undefined, what: string): { ok: true; value: Record<string, string> } | { ok: false; problem: string } {
  const value: Record<string, string> = {};
  const items = (text ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const [i, item] of items.entries()) {
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq).trim() : '';
    if (key === '' || !/^[\x21-\x7e]+$/.test(key)) return { ok: false, problem: `${what}: entry ${i + 1} must be key=value` };
    try {
      value[key] = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      return { ok: false, problem: `${what}: entry ${i + 1} (${key}) is not valid percent-encoding` };
    }
  }
  return { ok: true, value };
}
