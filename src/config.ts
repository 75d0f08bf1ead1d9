import { withoutTrailingSlashes } from './domain/text.js';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { parseApproverRules, type ApproverRules } from './domain/approver-rules.js';
import { parsePeople, type People } from './domain/people.js';
import type { AgentMode, SafetySettings } from './domain/policy.js';
import { parseMaintenance, type MaintenanceWindow } from './domain/silences.js';
import { OTLP_PROTOCOLS, SAMPLERS, parseKeyValues, type TracingSettings } from './telemetry/settings.js';

export type { AgentMode, SafetySettings };

/** The only module that reads process.env: everything else receives a Config. */

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected a duration such as 90s, 15m, 24h or 7d, got "${v}"` });
        return z.NEVER;
      }
      return ms;
    });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const optionalUrl = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    try {
      return new URL(v.trim()).toString();
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an absolute URL' });
      return z.NEVER;
    }
  });

const url = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return new URL(v.trim()).toString();
      } catch {
        ctx.addIssue({ code: 'custom', message: `expected an absolute URL, got "${v}"` });
        return z.NEVER;
      }
    });

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const s = v.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${v}"` });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      if (!/^-?\d+$/.test(v.trim())) {
        ctx.addIssue({ code: 'custom', message: `expected an integer ${min}–${max}, got "${v}"` });
        return z.NEVER;
      }
      const n = Number(v);
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected an integer ${min}–${max}, got ${n}` });
        return z.NEVER;
      }
      return n;
    });

/** One of `values`; unset or empty: the fallback. */
const choice = <T extends string>(values: readonly T[], fallback: T | undefined) =>
  z
    .string()
    .optional()
    .transform((v, ctx): T | undefined => {
      if (v === undefined || v.trim() === '') return fallback;
      if ((values as readonly string[]).includes(v.trim())) return v.trim() as T;
      ctx.addIssue({ code: 'custom', message: `expected one of ${values.join(', ')}, got "${v}"` });
      return z.NEVER;
    });

const list = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0));

const apiTokens = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const out: { name: string; token: string }[] = [];
    for (const item of (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const i = item.indexOf(':');
      const name = i > 0 ? item.slice(0, i).trim() : '';
      const token = i > 0 ? item.slice(i + 1).trim() : '';
      if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name) || token.length < 16) {
        // Never echo the token itself: only its position.
        ctx.addIssue({ code: 'custom', message: `entry ${out.length + 1} must be name:token with a token of at least 16 characters` });
        return z.NEVER;
      }
      out.push({ name, token });
    }
    return out;
  });

/** The shortest ingest token, link secret or webhook secret the agent accepts. */
export const MIN_SECRET_LENGTH = 32;

import { LICENSE_TIERS, type LicenseTier } from './domain/audit.js';
export { LICENSE_TIERS, type LicenseTier };

const EnvSchema = z.object({
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: int(8080, 0, 65535),
  SRE_DATA_DIR: z.string().default('.data'),
  SRE_AGENT_MODEL: z.string().min(1).default('claude-sonnet-4-6'),
  SRE_RISK_THRESHOLD: int(40, 0, 100),
  SRE_AUTO_APPROVE: bool(false),
  SRE_PAGE_WITHOUT_APPROVAL: bool(true),
  SRE_TIMEZONE: z
    .string()
    .default('UTC')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'expected an IANA time zone such as UTC or Europe/Berlin'),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalUrl,
  DATABASE_URL: optionalString.refine(
    (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
    'expected a postgres:// or postgresql:// URL',
  ),
  REDIS_URL: optionalString.refine((v) => v === undefined || /^rediss?:\/\//.test(v), 'expected a redis:// URL'),
  SRE_EVENT_STREAM: z.string().min(1).default('scutum:events'),
  SRE_CONSUMER_GROUP: z.string().min(1).default('sre-agent'),
  SRE_CONSUMER_NAME: optionalString,
  SRE_INGEST_TOKEN: optionalString,
  SRE_API_TOKENS: apiTokens,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: url('https://slack.com/api/'),
  SLACK_INCIDENT_CHANNEL: optionalString,
  SRE_APPROVERS: list,
  SRE_APPROVER_RULES: optionalString,
  SRE_PEOPLE: optionalString,
  // Unset: http://localhost:PORT (filled in by loadConfig, which knows the port).
  PUBLIC_BASE_URL: optionalUrl,
  SRE_TRUSTED_PROXIES: list,
  SENDGRID_API_KEY: optionalString,
  SENDGRID_API_URL: url('https://api.sendgrid.com'),
  SRE_EMAIL_FROM: optionalString,
  SRE_EMAIL_TO: list,
  SRE_LINK_SECRET: optionalString,
  SRE_WEBHOOK_URLS: list,
  SRE_WEBHOOK_SECRET: optionalString,
  PAGERDUTY_ROUTING_KEY: optionalString,
  PAGERDUTY_EVENTS_URL: url('https://events.pagerduty.com/v2/enqueue'),
  SRE_PAGERDUTY_MIN_SCORE: int(60, 0, 100),
  ADMIN_API_URL: optionalUrl,
  ADMIN_API_TOKEN: optionalString,
  SRE_CRITICAL_TEAMS: list,
  SRE_ESCALATE_AFTER: duration('15m'),
  SRE_PROPOSAL_TTL: duration('24h'),
  SRE_INCIDENT_QUIET: duration('30m'),
  SRE_RECONCILE_MAX_AGE: duration('10m'),
  SCUTUM_LICENSE_TIER: z.enum(LICENSE_TIERS).default('business'),
  SRE_REASONING_CONCURRENCY: int(8, 1, 256),
  SRE_REASONING_DEADLINE: duration('60s'),
  SRE_STREAM_CLAIM_IDLE: duration('15s'),
  SRE_STREAM_HANDLER_TIMEOUT: duration('60s'),
  SRE_HEARTBEAT_TTL: duration('3s').refine((ms) => ms >= 300 && ms <= 60_000, 'expected a heartbeat TTL from 300ms to 60s (a few seconds: a dead replica is noticed within about this long)'),
  SRE_MODE: z.enum(['live', 'shadow'], { error: (i) => `expected live or shadow, got "${String(i.input)}"` }).default('live'),
  SRE_TWO_PERSON_SCORE: int(75, 0, 100),
  SRE_VERIFY_WINDOW: duration('5m'),
  SRE_AUTO_REVERT: bool(true),
  SRE_ACTION_COOLDOWN: duration('30m'),
  SRE_MAX_ACTIONS_PER_HOUR: int(10, 0, 100_000),
  SRE_MAINTENANCE: optionalString,
  SRE_AUDIT_SIGNING_KEY: optionalString,
  SRE_AUDIT_CHECKPOINTS: optionalString,
  SRE_AUDIT_CHECKPOINT_INTERVAL: duration('5m'),
  SRE_RUNBOOK_DIR: optionalString,
  SRE_TRACE_URL: optionalString,
  // OpenTelemetry's standard variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/),
  // read here like every other: the SDK is then built from the parsed values only.
  OTEL_SDK_DISABLED: bool(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString,
  OTEL_EXPORTER_OTLP_PROTOCOL: choice(OTLP_PROTOCOLS, undefined),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: choice(OTLP_PROTOCOLS, undefined),
  OTEL_EXPORTER_OTLP_HEADERS: optionalString,
  OTEL_EXPORTER_OTLP_TIMEOUT: int(10_000, 1, 600_000),
  OTEL_SERVICE_NAME: optionalString,
  OTEL_RESOURCE_ATTRIBUTES: optionalString,
  OTEL_TRACES_SAMPLER: choice(SAMPLERS, 'parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: optionalString,
  OTEL_BSP_SCHEDULE_DELAY: int(5_000, 0, 3_600_000),
  OTEL_BSP_EXPORT_TIMEOUT: int(30_000, 1, 600_000),
  OTEL_BSP_MAX_QUEUE_SIZE: int(2_048, 1, 1_000_000),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: int(512, 1, 1_000_000),
});

type Env = z.output<typeof EnvSchema>;

/** Every variable the agent reads (documented in config/.env.example). */
export const ENV_KEYS: readonly string[] = Object.keys(EnvSchema.shape);

export interface Config {
  env: 'production' | 'development' | 'test';
  logLevel: Env['LOG_LEVEL'];
  /** trustedProxies: reverse proxies (addresses, CIDR ranges) whose X-Forwarded-For names the client for the sign-in brake. */
  http: { port: number; publicBaseUrl: string; trustedProxies: string[] };
  storage: { databaseUrl: string | undefined; dataDir: string };
  /** mode: shadow proposes and asks but never executes; twoPersonScore: at or above it two people approve; approverRules: who may approve which action. */
  /** pageWithoutApproval: a page_oncall proposal pages at once (through the gate), whatever its score. */
  policy: { riskThreshold: number; autoApprove: boolean; timeZone: string; criticalTeams: string[]; mode: AgentMode; twoPersonScore: number; approverRules: ApproverRules; pageWithoutApproval: boolean; people?: People };
  /** The brakes and the watch after acting (issue "act safely"). */
  safety: SafetySettings;
  /** SRE_MAINTENANCE: weekly windows (recurring silences) in policy.timeZone. */
  maintenance: MaintenanceWindow[];
  /** reasoningConcurrency: incidents reasoned about at once per replica; reasoningDeadlineMs: one incident's whole model budget. */
  agent: { model: string; anthropicApiKey: string | undefined; anthropicBaseUrl: string | undefined; reasoningConcurrency: number; reasoningDeadlineMs: number; runbookDir?: string | undefined };
  /** consumerName: stable per replica (a pod name) so a restart re-reads its own pending entries at once; claimIdleMs: a peer's entry idle this long is claimed; handlerTimeoutMs: a batch's handler past this is given up and its entries handed on. */
  bus: { redisUrl: string | undefined; stream: string; consumerGroup: string; consumerName: string | undefined; claimIdleMs: number; handlerTimeoutMs: number };
  /** heartbeatTtlMs (SRE_HEARTBEAT_TTL): a replica whose heartbeat is not renewed within it is dead, and its stream entries and leases are taken over at once. */
  replicas: { heartbeatTtlMs: number };
  ingest: { token: string | undefined };
  api: { tokens: { name: string; token: string }[] };
  slack: {
    botToken: string | undefined;
    signingSecret: string | undefined;
    appToken: string | undefined;
    apiUrl: string;
    incidentChannel: string | undefined;
    approvers: string[];
  };
  email: {
    sendgridApiKey: string | undefined;
    sendgridApiUrl: string;
    from: string | undefined;
    to: string[];
    linkSecret: string | undefined;
  };
  webhook: { urls: string[]; secret: string | undefined };
  /** minScore: a gated proposal at or above it pages on-call while it waits. */
  pagerduty: { routingKey: string | undefined; eventsUrl: string; minScore: number };
  adminApi: { url: string | undefined; token: string | undefined };
  lifecycle: { escalateAfterMs: number; proposalTtlMs: number; incidentQuietMs: number; reconcileMaxAgeMs: number };
  license: { tier: LicenseTier };
  /**
   * Signed audit checkpoints: signingKey is the parsed Ed25519 private key (never its text);
   * checkpoints is a file path (JSON lines appended) or `webhook` (the webhook channel's URLs).
   */
  audit: { signingKeyPath: string | undefined; signingKey: KeyObject | undefined; checkpoints: string | undefined; checkpointIntervalMs: number };
  /** OpenTelemetry traces (src/telemetry): off while `tracesUrl` is unset. */
  telemetry: TracingSettings;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** What each variable alone cannot say: settings that need each other, secrets too short, lists that do not parse. */
function crossFieldProblems(e: z.infer<typeof EnvSchema>): string[] {
  const problems: string[] = [];
  if (e.SLACK_BOT_TOKEN && !e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
    problems.push('SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN unless SLACK_APP_TOKEN (Socket Mode) is set');
  }
  if (e.SENDGRID_API_KEY && (!e.SRE_EMAIL_FROM || e.SRE_EMAIL_TO.length === 0)) {
    problems.push('SRE_EMAIL_FROM and SRE_EMAIL_TO: required with SENDGRID_API_KEY');
  }
  if (e.SENDGRID_API_KEY && !e.SRE_LINK_SECRET) {
    problems.push('SRE_LINK_SECRET: required with SENDGRID_API_KEY (email links are signed with it)');
  }
  if (e.SRE_WEBHOOK_URLS.length > 0 && !e.SRE_WEBHOOK_SECRET) {
    problems.push('SRE_WEBHOOK_SECRET: required with SRE_WEBHOOK_URLS');
  }
  // Guessable secrets are refused at start; the value itself is never echoed.
  for (const [key, value] of [['SRE_INGEST_TOKEN', e.SRE_INGEST_TOKEN], ['SRE_LINK_SECRET', e.SRE_LINK_SECRET], ['SRE_WEBHOOK_SECRET', e.SRE_WEBHOOK_SECRET]] as const) {
    if (value !== undefined && value.length < MIN_SECRET_LENGTH) {
      problems.push(`${key}: too short (${value.length} characters; at least ${MIN_SECRET_LENGTH}, e.g. \`openssl rand -hex 32\`)`);
    }
  }
  for (const u of e.SRE_WEBHOOK_URLS) {
    if (!URL.canParse(u)) problems.push(`SRE_WEBHOOK_URLS: "${u}" is not an absolute URL`);
  }
  for (const a of e.SRE_APPROVERS) {
    if (!/^[US][A-Z0-9]{2,}$/.test(a)) problems.push(`SRE_APPROVERS: "${a}" is neither a user id (U…) nor a user-group id (S…)`);
  }
  for (const p of e.SRE_TRUSTED_PROXIES) {
    const [ip, bits, extra] = p.split('/');
    const v = isIP(ip ?? '');
    if (v === 0 || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (v === 6 ? 128 : 32)))) {
      problems.push(`SRE_TRUSTED_PROXIES: "${p}" is neither an IP address nor a CIDR range such as 10.0.0.0/8`);
    }
  }
  return problems;
}

/** Parses an environment (process.env merged over config/.env by default); throws ConfigError listing every problem. */
export function loadConfig(source: Record<string, string | undefined> = readEnvironment()): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  const problems = crossFieldProblems(e);
  const signingKey = readSigningKey(e.SRE_AUDIT_SIGNING_KEY, problems);
  if (e.SRE_AUDIT_CHECKPOINTS && !e.SRE_AUDIT_SIGNING_KEY) problems.push('SRE_AUDIT_CHECKPOINTS: needs SRE_AUDIT_SIGNING_KEY (checkpoints are signed)');
  if (e.SRE_AUDIT_CHECKPOINTS === 'webhook' && e.SRE_WEBHOOK_URLS.length === 0) problems.push('SRE_AUDIT_CHECKPOINTS=webhook: needs SRE_WEBHOOK_URLS');
  const rules = parseApproverRules(e.SRE_APPROVER_RULES);
  if (!rules.ok) problems.push(...rules.problems.map((p) => `SRE_APPROVER_RULES: ${p}`));
  const maintenance = parseMaintenance(e.SRE_MAINTENANCE ?? '');
  if (!maintenance.ok) problems.push(`SRE_MAINTENANCE: ${maintenance.problem}`);
  const people = parsePeople(e.SRE_PEOPLE);
  if (!people.ok) problems.push(...people.problems.map((p) => `SRE_PEOPLE: ${p}`));
  const telemetry = telemetrySettings(e, problems);
  if (problems.length > 0 || !rules.ok || !maintenance.ok || !people.ok) throw new ConfigError(problems);

  const env = e.NODE_ENV === 'production' ? 'production' : e.NODE_ENV === 'test' ? 'test' : 'development';
  return {
    env,
    logLevel: e.LOG_LEVEL,
    http: { port: e.PORT, publicBaseUrl: withoutTrailingSlashes(e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`), trustedProxies: e.SRE_TRUSTED_PROXIES },
    storage: { databaseUrl: e.DATABASE_URL, dataDir: e.SRE_DATA_DIR },
    policy: {
      riskThreshold: e.SRE_RISK_THRESHOLD,
      autoApprove: e.SRE_AUTO_APPROVE,
      timeZone: e.SRE_TIMEZONE,
      criticalTeams: e.SRE_CRITICAL_TEAMS,
      mode: e.SRE_MODE,
      twoPersonScore: e.SRE_TWO_PERSON_SCORE,
      approverRules: rules.rules,
      pageWithoutApproval: e.SRE_PAGE_WITHOUT_APPROVAL,
      ...(people.people ? { people: people.people } : {}),
    },
    maintenance: maintenance.value,
    safety: {
      verifyWindowMs: e.SRE_VERIFY_WINDOW,
      autoRevert: e.SRE_AUTO_REVERT,
      actionCooldownMs: e.SRE_ACTION_COOLDOWN,
      maxActionsPerHour: e.SRE_MAX_ACTIONS_PER_HOUR,
    },
    agent: {
      model: e.SRE_AGENT_MODEL,
      anthropicApiKey: e.ANTHROPIC_API_KEY,
      anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
      runbookDir: e.SRE_RUNBOOK_DIR,
      reasoningConcurrency: e.SRE_REASONING_CONCURRENCY,
      reasoningDeadlineMs: e.SRE_REASONING_DEADLINE,
    },
    bus: { redisUrl: e.REDIS_URL, stream: e.SRE_EVENT_STREAM, consumerGroup: e.SRE_CONSUMER_GROUP, consumerName: e.SRE_CONSUMER_NAME, claimIdleMs: e.SRE_STREAM_CLAIM_IDLE, handlerTimeoutMs: e.SRE_STREAM_HANDLER_TIMEOUT },
    replicas: { heartbeatTtlMs: e.SRE_HEARTBEAT_TTL },
    ingest: { token: e.SRE_INGEST_TOKEN },
    api: { tokens: e.SRE_API_TOKENS },
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      incidentChannel: e.SLACK_INCIDENT_CHANNEL,
      approvers: e.SRE_APPROVERS,
    },
    email: {
      sendgridApiKey: e.SENDGRID_API_KEY,
      sendgridApiUrl: withoutTrailingSlashes(e.SENDGRID_API_URL),
      from: e.SRE_EMAIL_FROM,
      to: e.SRE_EMAIL_TO,
      linkSecret: e.SRE_LINK_SECRET,
    },
    webhook: { urls: e.SRE_WEBHOOK_URLS, secret: e.SRE_WEBHOOK_SECRET },
    pagerduty: { routingKey: e.PAGERDUTY_ROUTING_KEY, eventsUrl: e.PAGERDUTY_EVENTS_URL, minScore: e.SRE_PAGERDUTY_MIN_SCORE },
    adminApi: { url: e.ADMIN_API_URL, token: e.ADMIN_API_TOKEN },
    lifecycle: { escalateAfterMs: e.SRE_ESCALATE_AFTER, proposalTtlMs: e.SRE_PROPOSAL_TTL, incidentQuietMs: e.SRE_INCIDENT_QUIET, reconcileMaxAgeMs: e.SRE_RECONCILE_MAX_AGE },
    license: { tier: e.SCUTUM_LICENSE_TIER },
    audit: { signingKeyPath: e.SRE_AUDIT_SIGNING_KEY, signingKey, checkpoints: e.SRE_AUDIT_CHECKPOINTS, checkpointIntervalMs: e.SRE_AUDIT_CHECKPOINT_INTERVAL },
    telemetry,
  };
}

/** An http(s) URL, or a problem naming the variable (a URL may carry credentials: only its scheme is echoed). */
function httpUrl(key: string, value: string | undefined, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  const u = URL.canParse(value) ? new URL(value) : undefined;
  if (u && (u.protocol === 'http:' || u.protocol === 'https:')) return value;
  problems.push(`${key}: expected an http:// or https:// URL${u ? `, got a ${u.protocol} URL` : ''}`);
  return undefined;
}

/**
 * OpenTelemetry's variables and SRE_TRACE_URL: the traces endpoint (a signal-specific one as
 * given, the general one with /v1/traces appended, as the specification says), protocol,
 * resource, sampler and batch limits. OTEL_SDK_DISABLED=true turns tracing off whatever is set.
 */
function telemetrySettings(e: Env, problems: string[]): TracingSettings {
  const traceUrl = httpUrl('SRE_TRACE_URL', e.SRE_TRACE_URL, problems);
  if (traceUrl !== undefined && !traceUrl.includes('{trace_id}')) problems.push('SRE_TRACE_URL: must contain {trace_id}, e.g. https://tempo.example/trace/{trace_id}');
  const signal = httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, problems);
  const general = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', e.OTEL_EXPORTER_OTLP_ENDPOINT, problems);
  const endpoint = signal ?? (general === undefined ? undefined : `${withoutTrailingSlashes(general)}/v1/traces`);
  const headers = parseKeyValues(e.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS');
  if (!headers.ok) problems.push(headers.problem);
  const resource = parseKeyValues(e.OTEL_RESOURCE_ATTRIBUTES, 'OTEL_RESOURCE_ATTRIBUTES');
  if (!resource.ok) problems.push(resource.problem);
  const sampler = e.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on';
  let ratio = 1;
  if (sampler.endsWith('traceidratio') && e.OTEL_TRACES_SAMPLER_ARG !== undefined) {
    ratio = Number(e.OTEL_TRACES_SAMPLER_ARG);
    if (!/^\d+(\.\d+)?$/.test(e.OTEL_TRACES_SAMPLER_ARG) || ratio > 1) problems.push(`OTEL_TRACES_SAMPLER_ARG: expected a ratio 0–1 for ${sampler}, got "${e.OTEL_TRACES_SAMPLER_ARG}"`);
  }
  if (e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE > e.OTEL_BSP_MAX_QUEUE_SIZE) problems.push(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE: ${e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE} is larger than OTEL_BSP_MAX_QUEUE_SIZE (${e.OTEL_BSP_MAX_QUEUE_SIZE})`);
  const attributes = resource.ok ? resource.value : {};
  return {
    tracesUrl: e.OTEL_SDK_DISABLED ? undefined : endpoint,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    headers: headers.ok ? headers.value : {},
    requestTimeoutMs: e.OTEL_EXPORTER_OTLP_TIMEOUT,
    serviceName: e.OTEL_SERVICE_NAME ?? attributes['service.name'] ?? 'sre-agent',
    resourceAttributes: attributes,
    sampler: { name: sampler, ratio },
    batch: {
      scheduleDelayMs: e.OTEL_BSP_SCHEDULE_DELAY,
      exportTimeoutMs: e.OTEL_BSP_EXPORT_TIMEOUT,
      maxQueueSize: e.OTEL_BSP_MAX_QUEUE_SIZE,
      maxExportBatchSize: e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    },
    traceUrl: problems.some((p) => p.startsWith('SRE_TRACE_URL')) ? undefined : traceUrl,
  };
}

/**
 * The audit signing key, parsed at start: a file that is missing, unreadable or not a PEM
 * (PKCS#8) Ed25519 private key is a problem named by its path; its content is never echoed.
 */
function readSigningKey(file: string | undefined, problems: string[]): KeyObject | undefined {
  if (!file) return undefined;
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    problems.push(`SRE_AUDIT_SIGNING_KEY: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    return undefined;
  }
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch {
    // Parsing errors may quote the input: only the path is named below.
  }
  problems.push(`SRE_AUDIT_SIGNING_KEY: ${file} is not a PEM (PKCS#8) Ed25519 private key (make one with \`openssl genpkey -algorithm ed25519\`)`);
  return undefined;
}

/** process.env over config/.env (when present): the environment wins, as operators expect. */
export function readEnvironment(cwd = process.cwd()): Record<string, string | undefined> {
  const file = path.join(cwd, 'config', '.env');
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...process.env };
}

/** Which embedded defaults are in force: the first log lines say them. */
export function describeDefaults(config: Config): string[] {
  return [
    config.storage.databaseUrl
      ? 'database: PostgreSQL (DATABASE_URL)'
      : `database: embedded PGlite in ${config.storage.dataDir} (DATABASE_URL unset)`,
    config.bus.redisUrl
      ? `events: Redis Stream ${config.bus.stream}, group ${config.bus.consumerGroup}, plus HTTP and file ingest`
      : 'events: HTTP and file ingest only (REDIS_URL unset)',
    config.ingest.token ? 'ingest: POST /v1/events with the SRE_INGEST_TOKEN bearer' : 'ingest: POST /v1/events refuses every request (SRE_INGEST_TOKEN unset)',
    config.agent.anthropicApiKey
      ? `reasoner: Claude ${config.agent.model}`
      : 'reasoner: deterministic playbook (ANTHROPIC_API_KEY unset)',
    config.slack.botToken
      ? `slack: ${config.slack.appToken ? 'Socket Mode' : 'HTTP at /slack/events'}`
      : 'slack: off; console and JSON API only (SLACK_BOT_TOKEN unset)',
    config.adminApi.url ? `executor: admin-api at ${new URL(config.adminApi.url).origin}` : 'executor: simulated gateway (ADMIN_API_URL unset)',
    `policy: threshold ${config.policy.riskThreshold}, auto-approve ${config.policy.autoApprove ? 'on' : 'off'}, two-person at ${config.policy.twoPersonScore}`,
    config.policy.pageWithoutApproval
      ? 'paging: page_oncall pages at once without approval, through the gate (SRE_PAGE_WITHOUT_APPROVAL=true)'
      : `paging: page_oncall waits for a person, and pages anyway if nobody decided within SRE_ESCALATE_AFTER (SRE_PAGE_WITHOUT_APPROVAL=false)`,
    config.telemetry.tracesUrl
      ? `tracing: OTLP ${config.telemetry.protocol} to ${new URL(config.telemetry.tracesUrl).origin} as ${config.telemetry.serviceName}, sampler ${config.telemetry.sampler.name}`
      : 'tracing: off (OTEL_EXPORTER_OTLP_ENDPOINT unset)',
    config.policy.mode === 'shadow' ? 'mode: shadow; proposes and asks, never executes (SRE_MODE=shadow)' : 'mode: live',
    config.api.tokens.length > 0
      ? `console and JSON API: ${config.api.tokens.length} operator(s) from SRE_API_TOKENS at ${config.http.publicBaseUrl}/sre`
      : 'console: a one-time sign-in link follows once the server listens; JSON API off (SRE_API_TOKENS unset)',
  ];
}

/** The log-only pager reaches nobody: the first log lines say so, so a page never reads as sent. */
export function describePagingGaps(config: Config): string[] {
  if (config.pagerduty.routingKey) return [];
  return [
    'pagerduty: PAGERDUTY_ROUTING_KEY is unset, so page_oncall and escalation page NOBODY: each page is only logged and recorded as "not paged: PagerDuty is not configured"',
  ];
}

/**
 * Settings that look meant but do nothing as configured (a channel half set up): the first log
 * lines name them as warnings, so "it starts and then never posts" has a visible cause.
 */
export function describeGaps(config: Config): string[] {
  const gaps: string[] = [];
  const s = config.slack;
  if (s.botToken) {
    if (!s.incidentChannel) gaps.push('slack: SLACK_INCIDENT_CHANNEL is unset, so no incident is ever posted to Slack; set it to a channel id (C…)');
    if (s.approvers.length === 0) gaps.push('slack: SRE_APPROVERS is unset, so nobody can approve from Slack; set it to Slack user ids (U…) or user-group ids (S…)');
  } else {
    const set = [s.incidentChannel && 'SLACK_INCIDENT_CHANNEL', s.approvers.length > 0 && 'SRE_APPROVERS', s.signingSecret && 'SLACK_SIGNING_SECRET', s.appToken && 'SLACK_APP_TOKEN'].filter(Boolean);
    if (set.length > 0) gaps.push(`slack: ${set.join(', ')} set but SLACK_BOT_TOKEN is unset, so Slack stays off`);
  }
  const e = config.email;
  if (!e.sendgridApiKey && (e.to.length > 0 || e.from)) gaps.push(`email: ${e.to.length > 0 ? 'SRE_EMAIL_TO' : 'SRE_EMAIL_FROM'} set but SENDGRID_API_KEY is unset, so no email is sent`);
  if (config.webhook.secret && config.webhook.urls.length === 0) gaps.push('webhook: SRE_WEBHOOK_SECRET set but SRE_WEBHOOK_URLS is empty, so no webhook is called');
  if (config.adminApi.url && !config.adminApi.token) gaps.push('executor: ADMIN_API_URL set without ADMIN_API_TOKEN, so admin-api calls carry no bearer and will likely be refused');
  return gaps;
}
