import Anthropic from '@anthropic-ai/sdk';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../clock.js';
import type { GatewayReads } from '../../actions/gateway.js';
import type { IncidentContext, ProposalDraft, ReasonOptions, Reasoner, ThreadAnswer, ThreadMessage } from '../reasoner.js';
import { fallbackPropose } from './fallback.js';
import { reason } from './loop.js';
import type { RetryPolicy } from './model-call.js';
import { converseMode, proposeMode } from './modes.js';
import { runBudget, type ClaudeLimits, type ReasonerEnv } from './run.js';

export type { ClaudeLimits } from './run.js';
export type { FallbackCause } from './fallback.js';

export interface ClaudeReasonerOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  logger: Logger;
  /** Answers whenever the model cannot: failures, refusals, repeated guardrail violations. */
  fallback: Reasoner;
  limits?: ClaudeLimits;
  /** Deadlines, latencies, retry waits and read timeouts (default: the system clock). */
  clock?: Clock;
  /** How retries wait (tests pass a recorder that does not sleep); default: the clock's sleep. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_LIMITS: Required<ClaudeLimits> = {
  maxModelCalls: 6,
  maxTokens: 80_000,
  wallTimeMs: 90_000,
  maxRetries: 2,
  timeoutMs: 30_000,
  maxOutputTokens: 1_500,
  retryBaseDelayMs: 500,
  maxRetryAfterMs: 20_000,
  readTimeoutMs: 2_000,
};

function envOf(opts: ClaudeReasonerOptions): ReasonerEnv {
  const limits: Required<ClaudeLimits> = { ...DEFAULT_LIMITS, ...opts.limits };
  const clock = opts.clock ?? systemClock;
  const client = new Anthropic({
    apiKey: opts.apiKey,
    ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
    maxRetries: 0,
    timeout: limits.timeoutMs,
  });
  const policy: RetryPolicy = {
    maxRetries: limits.maxRetries,
    timeoutMs: limits.timeoutMs,
    baseDelayMs: limits.retryBaseDelayMs,
    maxDelayMs: Math.max(limits.retryBaseDelayMs, 8_000),
    maxRetryAfterMs: limits.maxRetryAfterMs,
    clock,
    sleep: opts.sleep ?? ((ms) => clock.sleep(ms)),
  };
  const logger = opts.logger.child({ reasoner: 'claude', model: opts.model });
  return { client, model: opts.model, limits, policy, clock, logger, fallback: opts.fallback };
}

/** The model proposes and converses through one reasoning loop (loop.ts); modes.ts holds what differs. */
export function createClaudeReasoner(opts: ClaudeReasonerOptions): Reasoner {
  const env = envOf(opts);

  async function propose(ctx: IncidentContext, gateway: GatewayReads, o?: ReasonOptions): Promise<ProposalDraft> {
    const b = runBudget(env, o?.deadline);
    try {
      // Queued for a reasoning slot past its whole deadline: the playbook answers at once.
      if (b.deadline <= env.clock.nowMs()) {
        return await fallbackPropose(env, ctx, gateway, undefined, 'the reasoning deadline passed before a reasoning slot took the incident up', 'timeout');
      }
      return await reason(env, proposeMode(env, ctx, gateway), ctx, gateway, b.deadline, b.signal);
    } finally {
      b.done();
    }
  }

  async function converse(ctx: IncidentContext, thread: ThreadMessage[], gateway: GatewayReads): Promise<ThreadAnswer> {
    const b = runBudget(env);
    try {
      return await reason(env, converseMode(env, ctx, thread, gateway), ctx, gateway, b.deadline, b.signal);
    } finally {
      b.done();
    }
  }

  return { name: 'claude', propose, converse };
}
