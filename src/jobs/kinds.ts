import { z } from 'zod';

/**
 * Every kind of durable background work, in one table: its payload, the lane that runs it and how
 * it retries. Only declarations live here (no handlers), so a service can enqueue a kind without
 * importing the service that handles it; the composition root joins each kind to its handler
 * (catalog.ts), and the types make sure every kind has exactly one.
 */

/** reasoning: the bounded pool (a slow model holds only its slots); every other lane runs on its own. */
export const LANES = ['reasoning', 'execute', 'expire', 'escalate', 'restore', 'verify', 'maintenance', 'retention'] as const;
export type Lane = (typeof LANES)[number];

export interface RetryPolicy {
  /** Attempts before the job goes dead (visible, logged). */
  maxAttempts: number;
  /** Backoff after the n-th failed attempt: min(maxMs, baseMs · 2^n). */
  baseMs: number;
  maxMs: number;
}

export interface JobKind<S extends z.ZodType = z.ZodType> {
  payload: S;
  lane: Lane;
  retry: RetryPolicy;
  /** A recurring job: after each run (done or failed) it is due again this much later, under the same key; it never goes dead. */
  everyMs?: number;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseMs: 1_000, maxMs: 300_000 };
const id = z.string().min(1).max(200);
const proposal = z.object({ proposal_id: id });

const kind = <S extends z.ZodType>(payload: S, lane: Lane, extra: Partial<Omit<JobKind<S>, 'payload' | 'lane'>> = {}): JobKind<S> => ({
  payload,
  lane,
  retry: DEFAULT_RETRY,
  ...extra,
});

export const JOB_KINDS = {
  /** A new incident is reasoned about (keyed `propose:<incident>`, so one incident holds one slot). */
  propose: kind(z.object({ incident_id: id }), 'reasoning'),
  /** A fresh proposal after the re-check found the last one stale. */
  refresh: kind(z.object({ incident_id: id, replaces: id }), 'reasoning'),
  /**
   * An approved proposal's execution, written in the deciding transaction: the deciding request
   * runs it at once; after a crash the lane does, through the same gate, once.
   */
  execute: kind(proposal, 'execute'),
  expire: kind(proposal, 'expire'),
  escalate: kind(proposal, 'escalate'),
  /** The circuit-breaker's duration ended: recorded durably, so a restart does not forget it. */
  restore: kind(z.object({ proposal_id: id, execution_id: id }), 'restore'),
  verify: kind(
    z.object({ proposal_id: id, execution_id: id, operation: z.enum(['execute', 'revert']), since: z.string(), window_ms: z.number(), baseline: z.number().nullable() }),
    'verify',
  ),
  auto_revert: kind(proposal, 'verify'),
  verify_page: kind(z.object({ proposal_id: id, why: z.string().max(1000) }), 'verify'),
  /** Executions cut off by a crash, re-sent through the gate (one replica at a time: the job's lease). */
  reconcile: kind(z.object({}), 'maintenance', { everyMs: 30_000 }),
  /** On-call hears of an execution cut off by a crash that was not re-sent (too old, or refused by the gate). */
  reconcile_page: kind(z.object({ proposal_id: id, execution_id: id, why: z.string().max(1000) }), 'maintenance'),
  /** An executed page_oncall is resolved when its incident closes (its own dedup key: no notification resolves it). */
  resolve_page: kind(proposal, 'maintenance'),
  /** Incidents quiet for SRE_INCIDENT_QUIET are closed; open ones without a proposal are reasoned about again. */
  close_quiet: kind(z.object({}), 'maintenance', { everyMs: 30_000 }),
  /** A silence started, ended or ran out (src/silences): incidents it held proceed, a proposal follows. */
  silence_end: kind(z.object({ silence_id: id }), 'maintenance'),
  /**
   * A signed checkpoint of the audit trail's head, written outside the database
   * (SRE_AUDIT_CHECKPOINTS; handler in audit/checkpoint.ts). Every SRE_AUDIT_CHECKPOINT_INTERVAL:
   * the catalog sets the period from the configuration, this is its default.
   */
  audit_checkpoint: kind(z.object({}), 'retention', { everyMs: 300_000 }),
  /** Daily, one replica at a time; the handler schedules the next day's run. */
  retention: kind(z.object({}), 'retention'),
} as const satisfies Record<string, JobKind>;

export type JobKindName = keyof typeof JOB_KINDS;
export type PayloadOf<K extends JobKindName> = z.infer<(typeof JOB_KINDS)[K]['payload']>;

export const isJobKind = (k: string): k is JobKindName => Object.hasOwn(JOB_KINDS, k);

export const kindsOfLane = (lane: Lane): JobKindName[] => (Object.keys(JOB_KINDS) as JobKindName[]).filter((k) => JOB_KINDS[k].lane === lane);

/** Milliseconds to wait after the n-th failed attempt (n ≥ 1). */
export const backoffMs = (r: RetryPolicy, attempts: number): number => Math.min(r.maxMs, r.baseMs * 2 ** Math.max(0, attempts));
