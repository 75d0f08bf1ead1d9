/**
 * What an incident's errors say about who is failing, read the way an SRE reads them: sample
 * errors first (status codes and the provider's or gateway's wording), then the numbers. Pure: the
 * playbook chooses from it and the Claude prompt carries it as a fact built by code.
 */

export const FAILURE_CLASSES = [
  'provider_outage',
  'provider_rate_limit',
  'timeout',
  'authentication',
  'guardrail_block',
  'client_error',
  'unknown',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export const CLASS_LABEL: Record<FailureClass, string> = {
  provider_outage: 'provider outage (5xx, overloaded, connection errors)',
  provider_rate_limit: 'provider rate limiting (429)',
  timeout: 'timeouts',
  authentication: 'authentication failure (rejected or revoked keys)',
  guardrail_block: "the gateway's own guardrail blocks",
  client_error: 'client errors (bad requests)',
  unknown: 'unclassified errors',
};

/** The label without its examples, for running text ("timeouts", "provider outage"). */
export const shortLabel = (c: FailureClass) => CLASS_LABEL[c].replace(/ \(.*\)$/, '');

/** Failures of the provider itself: moving its traffic elsewhere can help. */
const PROVIDER_SIDE: ReadonlySet<FailureClass> = new Set(['provider_outage', 'provider_rate_limit', 'timeout']);
export const isProviderSide = (c: FailureClass) => PROVIDER_SIDE.has(c);

interface Pattern {
  cls: Exclude<FailureClass, 'unknown'>;
  text: RegExp;
  status?: (s: number) => boolean;
}

// Order matters: a guardrail block may come as a 400 or 403, and "upstream connect timeout" is a timeout.
const PATTERNS: readonly Pattern[] = [
  // Only a block reported as one: text that merely mentions a guardrail ("disable guardrail x") is not.
  {
    cls: 'guardrail_block',
    text: /blocked by (?:the )?(?:gateway'?s? )?(?:guardrail|policy|content policy)|guardrail[\w\s:'"-]{0,40}\b(?:blocked|violat|triggered|rejected|denied)|guardrail_(?:blocked|violation)/i,
  },
  {
    cls: 'authentication',
    text: /invalid[\s_-]*(?:x-)?api[\s_-]*key|api[\s_-]*key[^.;]{0,40}(?:revoked|invalid|expired|disabled)|authentication[\s_-]*(?:error|failed)|unauthori[sz]ed|permission[\s_-]*denied|invalid[\s_-]*credentials|\brevoked\b|incorrect api key/i,
    status: (s) => s === 401 || s === 403,
  },
  { cls: 'provider_rate_limit', text: /rate[\s_-]*limit|too many requests|throttl|quota/i, status: (s) => s === 429 },
  { cls: 'timeout', text: /timed?[\s_-]*out|timeout|etimedout|esockettimedout|deadline[\s_-]*exceeded/i, status: (s) => s === 408 || s === 504 },
  {
    cls: 'provider_outage',
    text: /overloaded|service unavailable|bad gateway|internal server error|server[\s_-]*error|econnrefused|econnreset|ehostunreach|enotfound|connection (?:refused|reset|error|failure)|connect error|disconnect|socket hang up|unavailable/i,
    status: (s) => s >= 500,
  },
  {
    cls: 'client_error',
    text: /invalid[\s_-]*request|bad request|max_tokens|context[\s_-]*length|unprocessable|not[\s_-]*found|payload too large|malformed|unsupported/i,
    status: (s) => s >= 400 && s < 500,
  },
];

/** The first HTTP error status in a line (4xx/5xx, three digits standing alone). */
export function statusOf(text: string): number | undefined {
  const m = /(?:^|[^\d.])([45]\d\d)(?![\d.])/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** One sample error's class; wording wins over the status code, which decides only when the words are unknown. */
export function classifyError(text: string): FailureClass {
  const t = text.slice(0, 500);
  for (const p of PATTERNS) if (p.text.test(t)) return p.cls;
  const status = statusOf(t);
  if (status !== undefined) for (const p of PATTERNS) if (p.status?.(status)) return p.cls;
  return 'unknown';
}

export interface EvidenceInput {
  sampleErrors?: readonly string[] | undefined;
  errorRate?: number | undefined;
  requests?: number | undefined;
  /** Observed latency over its rolling median (latency incidents). */
  latencyRatio?: number | undefined;
  eventCount?: number | undefined;
  /** How long the incident has been open, in seconds. */
  openSeconds?: number | undefined;
}

export type Strength = 'thin' | 'moderate' | 'strong';

export interface Evidence {
  /** The dominant class among the classified samples; 'unknown' with none. */
  cls: FailureClass;
  /** Whether moving the provider's traffic can address it: provider-side, or no samples to say otherwise. */
  providerSide: boolean;
  /** Samples per class (only classes seen). */
  counts: Partial<Record<FailureClass, number>>;
  samples: number;
  /** Share of the classified samples in the dominant class, 0–1. */
  share: number;
  /** Index of the first sample of the dominant class, for quoting. */
  example?: number;
  statuses: number[];
  strength: Strength;
}

/** Thin: too few requests or a single early event to act on; strong: many requests over a sustained incident. */
function strengthOf(i: EvidenceInput): Strength {
  const requests = i.requests ?? 0;
  if (i.requests !== undefined && requests < 20) return 'thin';
  const sustained = (i.eventCount ?? 1) >= 10 || (i.openSeconds ?? 0) >= 600;
  if (sustained && requests >= 1000) return 'strong';
  return 'moderate';
}

export function classifyEvidence(i: EvidenceInput): Evidence {
  const samples = (i.sampleErrors ?? []).slice(0, 50);
  const counts: Partial<Record<FailureClass, number>> = {};
  const classes = samples.map(classifyError);
  for (const c of classes) counts[c] = (counts[c] ?? 0) + 1;
  const statuses = [...new Set(samples.map(statusOf).filter((s): s is number => s !== undefined))].sort((a, b) => a - b);
  const classified = classes.filter((c) => c !== 'unknown');
  let cls: FailureClass = 'unknown';
  for (const c of FAILURE_CLASSES) {
    if (c === 'unknown') continue;
    if ((counts[c] ?? 0) > (counts[cls] ?? 0) || (cls === 'unknown' && (counts[c] ?? 0) > 0)) cls = c;
  }
  const providerShare = classified.length > 0 ? classified.filter(isProviderSide).length / classified.length : 1;
  const example = classes.indexOf(cls);
  return {
    cls,
    // With no classified sample, the gateway's own verdict (the event) stands.
    providerSide: providerShare >= 0.5,
    counts,
    samples: samples.length,
    share: classified.length > 0 ? (counts[cls] ?? 0) / classified.length : 0,
    ...(example >= 0 && cls !== 'unknown' ? { example } : {}),
    statuses,
    strength: strengthOf(i),
  };
}

/** The classification as facts for a prompt or a trace: counts and codes only, never the untrusted text. */
export function evidenceFacts(e: Evidence): Record<string, unknown> {
  return {
    classification: e.cls,
    meaning: CLASS_LABEL[e.cls],
    provider_side: e.providerSide,
    sample_errors: e.samples,
    samples_per_class: e.counts,
    status_codes: e.statuses,
    strength: e.strength,
  };
}
