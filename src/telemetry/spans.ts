import { context, createContextKey, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';

export { SpanKind, type Attributes, type Span };

/**
 * The agent's tracer: the API's no-op one until tracing starts (tracing.ts), so spans cost nothing
 * when off. Looked up again when the global provider changes (tracing stopped and started again in
 * one process: tests, the bench), since a tracer keeps the provider it came from.
 */
let cached: { provider: ReturnType<typeof trace.getTracerProvider>; tracer: ReturnType<typeof trace.getTracer> } | undefined;
function tracer() {
  const provider = trace.getTracerProvider();
  if (cached?.provider !== provider) cached = { provider, tracer: provider.getTracer('scutum-sre-agent') };
  return cached.tracer;
}

export interface SpanOptions {
  kind?: SpanKind;
  /** A subject the span's work is about (`proposal:prp_…`), readable by nested work through `activeSubjects()`. */
  subjects?: readonly string[];
  attributes?: Attributes;
  /**
   * A stored W3C traceparent (an incident's, a job's) the span continues: work picked up from the
   * database joins the trace it was written in, on whichever replica runs it. Unset: the active span.
   */
  parent?: string | null | undefined;
  links?: Link[];
}

/** Runs `fn` in a new active span; a throw marks it as an error (the exception recorded) and is rethrown. */
export function withSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const base = opts.parent ? contextOf(opts.parent) : context.active();
  const parent = opts.subjects ? base.setValue(SUBJECTS, [...activeSubjects(base), ...opts.subjects]) : base;
  return tracer().startActiveSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, ...(opts.attributes ? { attributes: opts.attributes } : {}), ...(opts.links ? { links: opts.links } : {}) }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      failSpan(span, e);
      throw e;
    } finally {
      span.end();
    }
  });
}

/** Marks a span as failed with the error's message (never a payload). */
export function failSpan(span: Span, e: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(e instanceof Error ? e : String(e));
  span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
}

/** The context a stored traceparent stands for (the root context when it does not parse). */
function contextOf(traceparent: string): Context {
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** The active span as a W3C traceparent (what incidents, jobs and outbox rows store), or undefined with no span (tracing off). */
export function currentTraceparent(): string | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The active span's trace id, for log lines; undefined with no span. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

/** The headers that carry the active context to another service (W3C `traceparent`, `tracestate`); empty when tracing is off. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** A link to the span a stored traceparent names (a batch that fed an incident opened elsewhere). */
export function linkTo(traceparent: string | undefined): Link[] {
  if (!traceparent) return [];
  const sc = trace.getSpanContext(contextOf(traceparent));
  return sc && trace.isSpanContextValid(sc) ? [{ context: sc }] : [];
}

/** Adds attributes to the active span (a no-op when tracing is off). */
export function annotate(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** Adds an event to the active span (a fallback and its cause, a refusal). */
export function spanEvent(name: string, attributes?: Attributes): void {
  trace.getActiveSpan()?.addEvent(name, attributes);
}

/** The active span's trace id, or undefined with no span (tracing off). */
export function activeTraceId(): string | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}

const SUBJECTS = createContextKey('sre.subjects');

/** The subjects of the spans around the active one (withSpan's `subjects`): nested work on the same proposal needs no look-up of its trace. */
export function activeSubjects(ctx: Context = context.active()): readonly string[] {
  return (ctx.getValue(SUBJECTS) as readonly string[] | undefined) ?? [];
}
