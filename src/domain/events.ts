import { z } from 'zod';

/** The platform events the admin-api publishes (CONTRACT.md "Events"). */

// Names become admin-api path segments: `.` and `..` would be dot-segments (a different path).
const notDotSegment = (v: string) => v !== '.' && v !== '..';
const DOT_SEGMENT = { message: '"." and ".." are not names (they would change the admin-api path)' };
const id = z.string().trim().min(1).max(200).refine(notDotSegment, DOT_SEGMENT);
const name = z.string().trim().min(1).max(200).refine(notDotSegment, DOT_SEGMENT);
const nonNegative = z.number().finite().nonnegative();

export const ProviderUnhealthyData = z.object({
  provider: name,
  error_rate: z.number().min(0).max(1),
  requests: z.number().int().nonnegative(),
  window_seconds: z.number().positive(),
  model_group: name.optional(),
  sample_errors: z.array(z.string().max(2000)).max(50).optional(),
});
export type ProviderUnhealthyData = z.infer<typeof ProviderUnhealthyData>;

export const BudgetExceededData = z.object({
  scope: z.enum(['team', 'org']),
  scope_id: id,
  limit_kind: z.enum(['soft', 'hard']),
  limit_usd: nonNegative,
  spend_usd: nonNegative,
  period: z.string().trim().min(1).max(64),
});
export type BudgetExceededData = z.infer<typeof BudgetExceededData>;

export const SlaViolationData = z.object({
  sla_id: id,
  team: id.optional(),
  metric: z.enum(['p95_latency_ms', 'p99_latency_ms', 'success_rate']),
  target: nonNegative,
  observed: nonNegative,
  window_seconds: z.number().positive(),
});
export type SlaViolationData = z.infer<typeof SlaViolationData>;

export const LatencySpikeData = z.object({
  provider: name,
  model: name.optional(),
  model_group: name.optional(),
  latency_ms: nonNegative,
  rolling_median_ms: nonNegative,
});
export type LatencySpikeData = z.infer<typeof LatencySpikeData>;

const envelope = {
  id: id,
  occurred_at: z.iso.datetime({ offset: true }),
  source: z.string().trim().min(1).max(100),
};

export const PlatformEvent = z.discriminatedUnion('type', [
  z.object({ ...envelope, type: z.literal('provider.unhealthy'), data: ProviderUnhealthyData }),
  z.object({ ...envelope, type: z.literal('budget.exceeded'), data: BudgetExceededData }),
  z.object({ ...envelope, type: z.literal('sla.violation'), data: SlaViolationData }),
  z.object({ ...envelope, type: z.literal('latency.spike'), data: LatencySpikeData }),
]);
export type PlatformEvent = z.infer<typeof PlatformEvent>;
export type EventType = PlatformEvent['type'];
export const EVENT_TYPES: readonly EventType[] = ['provider.unhealthy', 'budget.exceeded', 'sla.violation', 'latency.spike'];

export type ParseResult = { ok: true; event: PlatformEvent } | { ok: false; id?: string; problems: string[] };

/** Validates one envelope and lists every problem with its path, e.g. `data.error_rate: …`. */
export function parseEvent(input: unknown): ParseResult {
  const r = PlatformEvent.safeParse(input);
  if (r.success) return { ok: true, event: r.data };
  const idValue = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined;
  const problems = r.error.issues.map((i) => {
    const where = i.path.length > 0 ? i.path.join('.') : '(event)';
    if (i.code === 'invalid_union' && i.path.join('.') === 'type') {
      return `type: unknown event type; expected one of ${EVENT_TYPES.join(', ')}`;
    }
    return `${where}: ${i.message}`;
  });
  return typeof idValue === 'string' ? { ok: false, id: idValue, problems } : { ok: false, problems };
}

/** The correlation key: one open incident per key (CONTRACT.md). */
export function incidentKey(event: PlatformEvent): string {
  switch (event.type) {
    case 'provider.unhealthy':
      return `provider:${event.data.provider}`;
    case 'budget.exceeded':
      return `budget:${event.data.scope}:${event.data.scope_id}`;
    case 'sla.violation':
      return `sla:${event.data.sla_id}`;
    case 'latency.spike':
      return event.data.model
        ? `latency:${event.data.provider}:${event.data.model}`
        : `latency:${event.data.provider}`;
  }
}

/** A short human subject for the incident ("provider openai", "team t-42 budget"). */
export function incidentSubject(event: PlatformEvent): string {
  switch (event.type) {
    case 'provider.unhealthy':
      return `provider ${event.data.provider}`;
    case 'budget.exceeded':
      return `${event.data.scope} ${event.data.scope_id} ${event.data.limit_kind} budget`;
    case 'sla.violation':
      return `SLA ${event.data.sla_id}`;
    case 'latency.spike':
      return event.data.model ? `${event.data.provider} ${event.data.model} latency` : `${event.data.provider} latency`;
  }
}
