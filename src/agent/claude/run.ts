import type Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageParam, TextBlockParam, Tool, ToolChoice } from '@anthropic-ai/sdk/resources/messages';
import type { Logger } from 'pino';
import type { GatewayReads } from '../../actions/gateway.js';
import type { Clock } from '../../clock.js';
import type { ActionId, Adjustment } from '../../domain/actions.js';
import type { IncidentContext, Reasoner } from '../reasoner.js';
import { emptyUsage, totalTokens, type TokenUsage } from './cost.js';
import { detectInjection, untrustedStrings } from './guardrails.js';
import type { Attempt, RetryPolicy } from './model-call.js';
import { buildTargets, type IncidentTargets } from './targets.js';
import { buildTools } from './tools.js';

export interface ClaudeLimits {
  /** Model calls per run (investigation turns included). */
  maxModelCalls?: number;
  /** Tokens per run: input + output + cache reads + cache writes. */
  maxTokens?: number;
  /** One run's whole budget (SRE_REASONING_DEADLINE); a caller's deadline may end it sooner. */
  wallTimeMs?: number;
  /** Retries per model call. */
  maxRetries?: number;
  /** Per HTTP attempt. */
  timeoutMs?: number;
  /** max_tokens of one answer. */
  maxOutputTokens?: number;
  retryBaseDelayMs?: number;
  maxRetryAfterMs?: number;
  /** Per admin-api read (target building and investigation tools). */
  readTimeoutMs?: number;
}

/** What every part of a run shares: the client, the limits, the clock, the logger, the fallback. */
export interface ReasonerEnv {
  client: Anthropic;
  model: string;
  limits: Required<ClaudeLimits>;
  policy: RetryPolicy;
  clock: Clock;
  logger: Logger;
  fallback: Reasoner;
}

export interface CallRecord {
  n: number;
  /** The request carried messages[0 … messages_sent-1] of the trace. */
  messages_sent: number;
  tool_choice: ToolChoice;
  latency_ms: number;
  attempts: Attempt[];
  response: Pick<Message, 'id' | 'model' | 'stop_reason' | 'stop_sequence' | 'content' | 'usage'> | null;
}

export interface ToolCallRecord {
  call: number;
  id: string;
  name: string;
  raw_input: unknown;
  outcome: 'read' | 'read_refused' | 'accepted' | 'refused';
  result: unknown;
  adjustments?: Adjustment[];
}

export type RunMode = 'propose' | 'converse';

export interface Run {
  mode: RunMode;
  started: number;
  deadline: number;
  targets: IncidentTargets;
  tools: Tool[];
  actions: ActionId[];
  messages: MessageParam[];
  calls: CallRecord[];
  toolCalls: ToolCallRecord[];
  usage: TokenUsage;
  corrections: number;
  injection: string[];
  /** The model's latest non-empty text: a conversation cut short still answers with it. */
  lastText: string;
  /** Aborted at the deadline: a call in flight then stops at once. */
  signal: AbortSignal;
}

export interface RunStart {
  mode: RunMode;
  firstMessage: (t: IncidentTargets) => string;
  /** Untrusted text beyond the incident's own (the thread's messages). */
  untrusted: readonly string[];
  deadline: number;
  signal: AbortSignal;
}

export async function startRun(env: ReasonerEnv, ctx: IncidentContext, gateway: GatewayReads, s: RunStart): Promise<Run> {
  const started = env.clock.nowMs();
  const readMs = Math.max(1, Math.min(env.limits.readTimeoutMs, s.deadline - started));
  const targets = await buildTargets(ctx, gateway, readMs, env.clock);
  const { tools, actions } = buildTools(targets, ctx.runbook);
  return {
    mode: s.mode,
    started,
    deadline: s.deadline,
    signal: s.signal,
    targets,
    tools,
    actions,
    messages: [{ role: 'user', content: [{ type: 'text', text: s.firstMessage(targets) }] }],
    calls: [],
    toolCalls: [],
    usage: emptyUsage(),
    corrections: 0,
    injection: detectInjection(untrustedStrings(ctx, s.untrusted)),
    lastText: '',
  };
}

/** Why the run may make no further call, or undefined while it may. */
export function exhausted(env: ReasonerEnv, run: Run): string | undefined {
  const { maxModelCalls, maxTokens } = env.limits;
  if (run.calls.length >= maxModelCalls) return `model-call cap reached (${maxModelCalls})`;
  if (totalTokens(run.usage) >= maxTokens) return `token cap reached (${totalTokens(run.usage)} ≥ ${maxTokens})`;
  if (env.clock.nowMs() >= run.deadline) return `timeout: the reasoning deadline passed (${Math.round((run.deadline - run.started) / 1000)} s for this run)`;
  return undefined;
}

/** Appends text to the last user turn (tool results must lead it; the note follows them). */
export function note(run: Run, text: string) {
  const last = run.messages[run.messages.length - 1];
  const block: TextBlockParam = { type: 'text', text };
  if (last && last.role === 'user') {
    last.content = typeof last.content === 'string' ? [{ type: 'text', text: last.content }, block] : [...last.content, block];
  } else {
    run.messages.push({ role: 'user', content: [block] });
  }
}

export interface RunBudget {
  deadline: number;
  signal: AbortSignal;
  done: () => void;
}

/** The run's deadline: its own budget, or the caller's when sooner; aborts what is in flight then. */
export function runBudget(env: ReasonerEnv, callerDeadline?: number): RunBudget {
  const { clock } = env;
  const deadline = Math.min(clock.nowMs() + env.limits.wallTimeMs, callerDeadline ?? Number.POSITIVE_INFINITY);
  const ac = new AbortController();
  const t = clock.after(Math.max(0, deadline - clock.nowMs()), () => ac.abort());
  return { deadline, signal: ac.signal, done: () => t.cancel() };
}
