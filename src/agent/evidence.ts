/**
 * What an incident's errors say about who is failing, read the way an SRE reads them: sample
 * errors first (status codes and the provider's or gateway's wording), then the numbers. Pure: the
 * playbook chooses from it and the Claude prompt carries it as a fact built by code. The wording
 * is the providers' own (OpenAI, Anthropic, Azure OpenAI, Gemini/Vertex, Bedrock, Mistral, Cohere);
 * the eval holds a documented sample of each with its source (eval/provider-wording.ts).
 */

// On a tie between classes the earlier one wins: quota before rate limiting, as a break cannot fix it.
export const FAILURE_CLASSES = [
  'provider_outage',
  'provider_overloaded',
  'quota_exhausted',
  'provider_rate_limit',
  'timeout',
  'network',
  'stream_interrupted',
  'authentication',
  'model_unavailable',
  'content_filter',
  'context_length',
  'guardrail_block',
  'client_error',
  'unknown',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export const CLASS_LABEL: Record<FailureClass, string> = {
  provider_outage: 'provider outage (5xx, internal errors, connection errors)',
  provider_overloaded: 'provider overload (529, overloaded_error, no capacity)',
  provider_rate_limit: 'provider rate limiting (429 per-minute limits, throttling)',
  quota_exhausted: 'quota or billing exhaustion (insufficient_quota, spend limits, credits)',
  timeout: 'timeouts',
  network: 'DNS or TLS failure (name resolution, certificates)',
  stream_interrupted: 'streams cut off (a stream ended or broke mid-answer)',
  authentication: 'authentication failure (rejected or revoked keys)',
  model_unavailable: 'model or deployment unavailable (not found, not enabled, not offered in the region)',
  content_filter: "the provider's content filter (content_filter, safety blocks)",
  context_length: 'context length exceeded (prompts longer than the model accepts)',
  guardrail_block: "the gateway's own guardrail blocks",
  client_error: 'client errors (bad requests)',
  unknown: 'unclassified errors',
};

/** The label without its examples, for running text ("timeouts", "provider outage"). */
export const shortLabel = (c: FailureClass) => CLASS_LABEL[c].replace(/ \([^()]*\)$/, '');

/**
 * How each class is answered, least drastic first. `moves`: whether moving the provider's traffic
 * helps at all (`shed`: a break or a re-route; `reroute`: only moving the model group elsewhere, as a
 * break restores onto the same account or deployment; `none`: the cause is not the provider).
 */
export interface ClassAnswer {
  moves: 'shed' | 'reroute' | 'none';
  /** Short-lived causes: a break longer than 120 s only sheds traffic. */
  shortBreak?: true;
  answer: string;
}

export const CLASS_ANSWER: Record<FailureClass, ClassAnswer> = {
  provider_outage: { moves: 'shed', answer: 're-route the failing model group when only it fails, else a self-restoring circuit-break scaled to the error rate' },
  provider_overloaded: { moves: 'shed', shortBreak: true, answer: 'move the traffic for a short while (a re-route, or a break of at most 120 s): capacity usually returns within minutes' },
  provider_rate_limit: { moves: 'shed', shortBreak: true, answer: "shed load for a short while (a break of at most 120 s, or a re-route) so the provider's per-minute window resets; never raise a team's limit" },
  quota_exhausted: {
    moves: 'reroute',
    answer: 're-route the model group to another provider (reverted by routing back) while a human restores the quota or billing; no back-off fixes it, and a short circuit-break restores onto the same exhausted account',
  },
  timeout: { moves: 'shed', answer: 'move the traffic (a re-route or a self-restoring break): timeouts hold every request for the whole timeout' },
  network: { moves: 'shed', answer: 'move the traffic (a re-route or a self-restoring break) while a human checks the resolver or the certificates: a DNS or TLS fault does not heal by waiting' },
  stream_interrupted: { moves: 'shed', shortBreak: true, answer: 'move the traffic for a short while (a re-route, or a break of at most 120 s): cut-off streams are the provider or the path failing mid-answer' },
  authentication: { moves: 'none', answer: 'page: a human restores or rotates the key; moving traffic restores onto the same key' },
  model_unavailable: {
    moves: 'reroute',
    answer: 're-route the model group to a provider that serves the model; a circuit-break restores onto the same missing model or deployment and sheds the groups that work',
  },
  content_filter: { moves: 'none', answer: "page at low severity: the provider's content policy refused those requests, and sending them to another provider to get past a filter is not a fix" },
  context_length: { moves: 'none', answer: 'page at low severity: clients send prompts longer than the model accepts and must truncate them or pick a model with a larger context' },
  guardrail_block: { moves: 'none', answer: "page: the gateway's own rule refused the requests, and disabling a rule is a human's decision" },
  client_error: { moves: 'none', answer: 'page at low severity: the clients send requests no provider accepts' },
  unknown: { moves: 'shed', answer: "act on the gateway's own verdict (error rate, healthy alternatives)" },
};

/** Latency this many times its rolling median is decisive on its own: clients time out, so it is an outage for that traffic. */
export const DECISIVE_LATENCY_RATIO = 20;

/** Failures of the provider itself (or of the path to it): moving its traffic elsewhere can help. */
export const isProviderSide = (c: FailureClass) => CLASS_ANSWER[c].moves !== 'none';

interface Pattern {
  cls: Exclude<FailureClass, 'unknown'>;
  text: RegExp;
  status?: (s: number) => boolean;
}

/**
 * Order matters: the first pattern whose words match decides. A gateway guardrail block may come
 * as a 400 or 403; billing codes come as 429 and must not read as rate limiting; a per-minute
 * quota is rate limiting; "model not found" is not a client error at a gateway that routes models.
 */
const PATTERNS: readonly Pattern[] = [
  // Only a block reported as one: text that merely mentions a guardrail ("disable guardrail x") is not.
  {
    cls: 'guardrail_block',
    text: /blocked by (?:the )?(?:gateway'?s? )?(?:guardrail|policy|content policy)|guardrail[\w\s:'"-]{0,40}\b(?:blocked|violat|triggered|rejected|denied)|guardrail_(?:blocked|violation)/i,
  },
  {
    cls: 'content_filter',
    text: /content[\s_-]?filter|ResponsibleAIPolicyViolation|content management policy|block_?reason|PROHIBITED_CONTENT|finish_?reason\W{0,4}(?:SAFETY|RECITATION)|blocked due to safety|guardrail_intervened|stop_reason\W{0,4}refusal/i,
  },
  {
    cls: 'quota_exhausted',
    text: /insufficient[\s_-]?(?:quota|credits?|balance|funds)|exceeded your current quota|plans? (?:and|&) billing|billing[\s_-]?(?:error|hard[\s_-]?limit)|credit[\s_-]?balance|credits? (?:exhausted|depleted)|spend[\s_-]?limit|usage[\s_-]?limit|payment[\s_-]?(?:required|method)|ServiceQuotaExceeded|exceeds the service quota/i,
    status: (s) => s === 402,
  },
  {
    cls: 'provider_rate_limit',
    text: /per[\s_-]?minute|per[\s_-]?min\b|per[\s_-]?second|throttl|rate[\s_-]?limit[\s_-]?(?:exceeded|reached|error)|slow[\s_]down|too many (?:requests|tokens), please wait/i,
  },
  {
    cls: 'context_length',
    text: /context[\s_-]?(?:length|window)|prompt is too long|input is too long|too many tokens:|tokens? > \d+ maximum|input token count[^.;]{0,80}exceeds|exceeds the maximum number of tokens|request[\s_-]?too[\s_-]?large/i,
    status: (s) => s === 413,
  },
  { cls: 'quota_exhausted', text: /quota[\s_-]?exceeded|exceeded[^.;]{0,30}quota|quota increase|RESOURCE_EXHAUSTED[^.;]{0,80}quota/i },
  {
    cls: 'model_unavailable',
    text: /model[\s_-]?not[\s_-]?found|not_found_error|\bnot[\s_-]?found\b|DeploymentNotFound|deployment[^.;]{0,60}does not exist|(?:model|deployment)[^.;]{0,80}(?:does not exist|was not found|is not (?:available|supported|enabled))|(?:don't|do not) have access to the model|invalid model|unknown[\s_-]model|(?:country|region|territory|location) (?:is )?not supported|unsupported_country|not available in (?:your|this) (?:region|country)|FTUFormNotFilled|use case details/i,
    status: (s) => s === 404,
  },
  {
    cls: 'authentication',
    text: /invalid[\s_-]*(?:x-)?api[\s_-]*key|api[\s_-]*key[^.;]{0,40}(?:revoked|invalid|expired|disabled)|authentication[\s_-]*(?:error|failed)|unauthori[sz]ed|unauthenticated|permission[\s_-]*(?:denied|error)|access[\s_-]?denied|invalid[\s_-]*credentials|invalid api token|security token[^.;]{0,40}invalid|\brevoked\b|incorrect api key|IP not authorized/i,
    status: (s) => s === 401 || s === 403,
  },
  {
    cls: 'provider_overloaded',
    text: /overloaded|ModelNotReady|not ready to serve|capacity exceeded|insufficient capacity|high demand|no capacity/i,
    status: (s) => s === 529,
  },
  {
    cls: 'stream_interrupted',
    text: /stream(?:ing)?[\s_-]?(?:error|interrupted|ended|terminated|closed|broken|broke)|while streaming|premature[\s_-]?close|incomplete[\s_-]?chunked|ModelStreamError|other side closed|ended prematurely|unexpected end of (?:stream|data)|UND_ERR_SOCKET/i,
  },
  {
    cls: 'network',
    text: /ENOTFOUND|EAI_AGAIN|getaddrinfo|\bDNS\b|name resolution|NXDOMAIN|certificate|\bCERT_|\bx509\b|\bSSL\b|\bTLS\b|handshake|self[\s_-]signed|UNABLE_TO_VERIFY|ERR_TLS/i,
  },
  { cls: 'provider_rate_limit', text: /rate[\s_-]*limit|too many requests|RESOURCE_EXHAUSTED|resource exhausted/i, status: (s) => s === 429 },
  { cls: 'timeout', text: /timed?[\s_-]*out|timeout|etimedout|esockettimedout|deadline[\s_-]*exceeded/i, status: (s) => s === 408 || s === 504 },
  {
    cls: 'provider_outage',
    text: /service unavailable|bad gateway|internal server error|server[\s_-]*error|internal error|api_error|InternalFailure|ModelErrorException|econnrefused|econnreset|ehostunreach|connection (?:refused|reset|error|failure)|connect error|disconnect|socket hang up|unavailable/i,
    status: (s) => s >= 500,
  },
  {
    cls: 'client_error',
    text: /invalid[\s_-]*request|bad request|max_tokens|unprocessable|not[\s_-]*found|payload too large|malformed|unsupported|ValidationException|INVALID_ARGUMENT/i,
    status: (s) => s >= 400 && s < 500,
  },
];

/** The first HTTP error status in a line (4xx/5xx, three digits standing alone). */
export function statusOf(text: string): number | undefined {
  const m = /(?:^|[^\d.])([45]\d\d)(?![\d.])/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Untrusted text is cut to this many characters before any pattern reads it. */
export const SAMPLE_MAX = 500;

/** One sample error's class; wording wins over the status code, which decides only when the words are unknown. */
export function classifyError(text: string): FailureClass {
  const t = text.slice(0, SAMPLE_MAX);
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
    moving_traffic_helps: CLASS_ANSWER[e.cls].moves,
    least_drastic_answer: CLASS_ANSWER[e.cls].answer,
    sample_errors: e.samples,
    samples_per_class: e.counts,
    status_codes: e.statuses,
    strength: e.strength,
  };
}
