/** OpenTelemetry traces (issue 21): settings, the SDK's start and stop, and span helpers. Any folder may use it; it imports nothing of the agent but the clock. */
export { traceIdOf, traceLink, type TracingSettings } from './settings.js';
export { isTracing, startTracing, type Tracing } from './tracing.js';
export type { DropReason } from './processor.js';
export { activeSubjects, activeTraceId, activeTraceIds, annotate, currentTraceparent, failSpan, linkTo, spanEvent, SpanKind, traceHeaders, withSpan, type Attributes, type Span, type SpanOptions } from './spans.js';
