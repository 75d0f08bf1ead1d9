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
  const fast = canonicalEvent(input);
  if (fast) return { ok: true, event: fast };
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

/*
 * The common case without zod (its checks cost more than the JSON.parse before them, issue 23):
 * an envelope that is already what PlatformEvent returns for it — only its own keys, every string
 * already trimmed, every value within the schema's bounds — is copied as zod would copy it (keys
 * in the schema's order). Anything else (a key to strip, a string to trim, a value out of bounds,
 * an unknown type) goes to zod, which decides and words the problems. The rules below restate the
 * schemas above; test/domain/events-fast-path.test.ts holds the two to the same answers.
 */
type Rule = (v: unknown) => boolean;
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const str = (min: number, max: number, dots = false): Rule => (v) => typeof v === 'string' && v.length >= min && v.length <= max && v === v.trim() && (!dots || notDotSegment(v));
const nameRule = str(1, 200, true);
const num = (ok: (n: number) => boolean): Rule => (v) => typeof v === 'number' && Number.isFinite(v) && ok(v);
const nonNeg = num((n) => n >= 0);
const oneOf = (...values: string[]): Rule => (v) => typeof v === 'string' && values.includes(v);
const stringList: Rule = (v) => Array.isArray(v) && v.length <= 50 && v.every((e) => typeof e === 'string' && e.length <= 2000);
/** Each key with its rule, in the schema's order; `?` marks an optional key. */
const DATA_RULES: Record<EventType, [string, Rule, boolean][]> = {
  'provider.unhealthy': [
    ['provider', nameRule, false],
    ['error_rate', num((n) => n >= 0 && n <= 1), false],
    ['requests', (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0, false],
    ['window_seconds', num((n) => n > 0), false],
    ['model_group', nameRule, true],
    ['sample_errors', stringList, true],
  ],
  'budget.exceeded': [
    ['scope', oneOf('team', 'org'), false],
    ['scope_id', nameRule, false],
    ['limit_kind', oneOf('soft', 'hard'), false],
    ['limit_usd', nonNeg, false],
    ['spend_usd', nonNeg, false],
    ['period', str(1, 64), false],
  ],
  'sla.violation': [
    ['sla_id', nameRule, false],
    ['team', nameRule, true],
    ['metric', oneOf('p95_latency_ms', 'p99_latency_ms', 'success_rate'), false],
    ['target', nonNeg, false],
    ['observed', nonNeg, false],
    ['window_seconds', num((n) => n > 0), false],
  ],
  'latency.spike': [
    ['provider', nameRule, false],
    ['model', nameRule, true],
    ['model_group', nameRule, true],
    ['latency_ms', nonNeg, false],
    ['rolling_median_ms', nonNeg, false],
  ],
};
/** zod's own pattern for `occurred_at` (z.iso.datetime with offset); without it there is no fast path. */
const DATETIME: RegExp | undefined = envelope.occurred_at._zod.def.pattern;
const ENVELOPE_KEYS = new Set(['id', 'occurred_at', 'source', 'type', 'data']);

/** The event zod would return for `input`, when `input` is already in that shape; undefined to let zod decide. */
export function canonicalEvent(input: unknown): PlatformEvent | undefined {
  if (!DATETIME || !isPlain(input)) return undefined;
  const { id: i, occurred_at: at, source, type, data } = input;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(DATA_RULES, type)) return undefined;
  const rules = DATA_RULES[type as EventType];
  let n = 0;
  for (const k in input) {
    if (!ENVELOPE_KEYS.has(k)) return undefined;
    n++;
  }
  if (n !== 5 || !nameRule(i) || typeof at !== 'string' || !DATETIME.test(at) || !str(1, 100)(source) || !isPlain(data)) return undefined;
  const out: Record<string, unknown> = {};
  let copied = 0;
  for (const [k, rule, optional] of rules) {
    if (!Object.prototype.hasOwnProperty.call(data, k)) {
      if (optional) continue;
      return undefined;
    }
    const v = data[k];
    if (!rule(v)) return undefined;
    out[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
    copied++;
  }
  // A key the schema does not know would be stripped: zod's answer.
  let keys = 0;
  for (const k in data) if (Object.prototype.hasOwnProperty.call(data, k)) keys++;
  if (keys !== copied) return undefined;
  return { id: i, occurred_at: at, source, type, data: out } as PlatformEvent;
}
