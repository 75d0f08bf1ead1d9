import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlock,
  ContentBlockParam,
  Message,
  MessageParam,
  TextBlockParam,
  Tool,
  ToolChoice,
  ToolResultBlockParam,
  ToolUseBlock,
} from '@anthropic-ai/sdk/resources/messages';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../clock.js';
import type { GatewayReads } from '../../actions/gateway.js';
import { specFor, type ActionId, type Adjustment } from '../../domain/actions.js';
import type { IncidentContext, ProposalDraft, ReasonOptions, Reasoner, ThreadAnswer, ThreadMessage } from '../reasoner.js';
import { addUsage, emptyUsage, estimateCostUsd, pricesFor, totalTokens, type TokenUsage } from './cost.js';
import { checkProposal, detectInjection, untrustedStrings, type CheckedProposal } from './guardrails.js';
import { callModel, type Attempt, type FailureCause, type RetryPolicy } from './model-call.js';
import {
  CORRECTION_INVALID,
  CORRECTION_INVALID_REVISION,
  CORRECTION_TEXT_ONLY,
  FINAL_CALL,
  SYSTEM_PROMPT,
  SYSTEM_PROMPT_VERSION,
  incidentMessage,
  proposeInstruction,
  threadMessage,
} from './prompt.js';
import { buildTargets, type IncidentTargets } from './targets.js';
import { INVESTIGATION_TOOLS, buildTools, runInvestigation } from './tools.js';

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

export interface ClaudeReasonerOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  logger: Logger;
  /** Answers whenever the model cannot: failures, refusals, repeated guardrail violations. */
  fallback: Reasoner;
  limits?: ClaudeLimits;
  /** Deadlines, latencies and retry waits (default: the system clock). */
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

interface CallRecord {
  n: number;
  /** The request carried messages[0 … messages_sent-1] of the trace. */
  messages_sent: number;
  tool_choice: ToolChoice;
  latency_ms: number;
  attempts: Attempt[];
  response: Pick<Message, 'id' | 'model' | 'stop_reason' | 'stop_sequence' | 'content' | 'usage'> | null;
}

interface ToolCallRecord {
  call: number;
  id: string;
  name: string;
  raw_input: unknown;
  outcome: 'read' | 'read_refused' | 'accepted' | 'refused';
  result: unknown;
  adjustments?: Adjustment[];
}

interface Run {
  mode: 'propose' | 'converse';
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
  /** Aborted at the deadline: a call in flight then stops at once. */
  signal: AbortSignal;
}

/** FailureCause of a model call, or why a run that reached the model still ended without a proposal. */
export type FallbackCause = FailureCause | 'refusal' | 'no_proposal' | 'budget' | 'error';


/**
 * Response blocks go back to the API unchanged in the next request, as the Messages API expects
 * for multi-turn tool use; the response and request block types differ only in read-only extras.
 */
function asParams(blocks: ContentBlock[]): ContentBlockParam[] {
  return blocks as unknown as ContentBlockParam[];
}

/**
 * A copy of the conversation with a cache breakpoint on its last block, so each turn reads the
 * turns before it from the cache (tools and system hold the other two breakpoints). The copy also
 * keeps the trace free of it and unchanged by later turns.
 */
function withTailBreakpoint(messages: MessageParam[]): MessageParam[] {
  const copy = structuredClone(messages);
  const last = copy[copy.length - 1];
  if (last && Array.isArray(last.content)) {
    const block = last.content[last.content.length - 1];
    if (block && (block.type === 'text' || block.type === 'tool_result')) block.cache_control = { type: 'ephemeral' };
  }
  return copy;
}

const textOf = (m: Message) =>
  m.content
    .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('\n')
    .trim();

export function createClaudeReasoner(opts: ClaudeReasonerOptions): Reasoner {
  const limits: Required<ClaudeLimits> = { ...DEFAULT_LIMITS, ...opts.limits };
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger.child({ reasoner: 'claude', model: opts.model });
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
    sleep: opts.sleep ?? ((ms) => clock.sleep(ms)),
    nowMs: () => clock.nowMs(),
  };

  async function start(
    ctx: IncidentContext,
    gateway: GatewayReads,
    mode: Run['mode'],
    firstUser: (t: IncidentTargets) => string,
    extraUntrusted: string[],
    deadline: number,
    signal: AbortSignal,
  ): Promise<Run> {
    const started = clock.nowMs();
    const targets = await buildTargets(ctx, gateway, Math.max(1, Math.min(limits.readTimeoutMs, deadline - started)));
    const { tools, actions } = buildTools(targets);
    return {
      mode,
      started,
      deadline,
      signal,
      targets,
      tools,
      actions,
      messages: [{ role: 'user', content: [{ type: 'text', text: firstUser(targets) }] }],
      calls: [],
      toolCalls: [],
      usage: emptyUsage(),
      corrections: 0,
      injection: detectInjection(untrustedStrings(ctx, extraUntrusted)),
    };
  }

  function exhausted(run: Run): string | undefined {
    if (run.calls.length >= limits.maxModelCalls) return `model-call cap reached (${limits.maxModelCalls})`;
    if (totalTokens(run.usage) >= limits.maxTokens) return `token cap reached (${totalTokens(run.usage)} ≥ ${limits.maxTokens})`;
    if (clock.nowMs() >= run.deadline) return `timeout: the reasoning deadline passed (${Math.round((run.deadline - run.started) / 1000)} s for this run)`;
    return undefined;
  }

  /** Appends text to the last user turn (tool results must lead it; the note follows them). */
  function note(run: Run, text: string) {
    const last = run.messages[run.messages.length - 1];
    const block: TextBlockParam = { type: 'text', text };
    if (last && last.role === 'user') {
      last.content = typeof last.content === 'string' ? [{ type: 'text', text: last.content }, block] : [...last.content, block];
    } else {
      run.messages.push({ role: 'user', content: [block] });
    }
  }

  async function step(run: Run, toolChoice: ToolChoice) {
    const t0 = clock.nowMs();
    const out = await callModel(
      client,
      {
        model: opts.model,
        max_tokens: limits.maxOutputTokens,
        system: [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
        tools: run.tools,
        tool_choice: toolChoice,
        messages: withTailBreakpoint(run.messages),
      },
      policy,
      run.deadline,
      logger,
      run.signal,
    );
    const rec: CallRecord = {
      n: run.calls.length + 1,
      messages_sent: run.messages.length,
      tool_choice: toolChoice,
      latency_ms: clock.nowMs() - t0,
      attempts: out.attempts,
      response: null,
    };
    run.calls.push(rec);
    if (!out.ok) return out;
    const m = out.message;
    rec.response = { id: m.id, model: m.model, stop_reason: m.stop_reason, stop_sequence: m.stop_sequence ?? null, content: m.content, usage: m.usage };
    run.usage = addUsage(run.usage, m.usage);
    run.messages.push({ role: 'assistant', content: asParams(m.content) });
    return out;
  }

  function trace(run: Run, outcome: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      reasoner: 'claude',
      mode: run.mode,
      model: opts.model,
      system_prompt_version: SYSTEM_PROMPT_VERSION,
      system_prompt: SYSTEM_PROMPT,
      tools: run.tools,
      targets: run.targets,
      messages: run.messages,
      calls: run.calls,
      tool_calls: run.toolCalls,
      usage: run.usage,
      cost_usd: estimateCostUsd(opts.model, run.usage),
      cost_note: `estimate from list prices (${pricesFor(opts.model).pricedAs})`,
      corrections: run.corrections,
      injection_signals: run.injection,
      wall_ms: clock.nowMs() - run.started,
      outcome,
      ...extra,
    };
  }

  interface Turn {
    accepted?: Extract<CheckedProposal, { ok: true }>;
    refused: string[];
    reads: number;
  }

  /** Runs reads, checks proposals, and answers every tool_use with a tool_result. */
  async function handleTools(run: Run, uses: ToolUseBlock[], ctx: IncidentContext, gateway: GatewayReads): Promise<Turn> {
    const turn: Turn = { refused: [], reads: 0 };
    const results: ToolResultBlockParam[] = [];
    const proposals = uses.filter((u) => !INVESTIGATION_TOOLS.has(u.name));
    const callNo = run.calls.length;
    for (const u of uses) {
      if (INVESTIGATION_TOOLS.has(u.name)) {
        const r = await runInvestigation(u.name, u.input, ctx, gateway, run.targets, limits.readTimeoutMs);
        turn.reads++;
        run.toolCalls.push({ call: callNo, id: u.id, name: u.name, raw_input: u.input, outcome: r.ok ? 'read' : 'read_refused', result: r.content });
        results.push({ type: 'tool_result', tool_use_id: u.id, content: r.content, ...(r.ok ? {} : { is_error: true }) });
        continue;
      }
      if (proposals.length > 1) {
        const why = 'more than one proposal in one answer: exactly one proposal ends a run';
        turn.refused.push(why);
        run.toolCalls.push({ call: callNo, id: u.id, name: u.name, raw_input: u.input, outcome: 'refused', result: { kind: 'invalid_input', problems: [why] } });
        results.push({ type: 'tool_result', tool_use_id: u.id, content: `refused: ${why}`, is_error: true });
        continue;
      }
      const c = checkProposal(u.name, u.input, run.actions, run.targets, { allowLowering: run.injection.length === 0 });
      if (c.ok) {
        turn.accepted = c;
        run.toolCalls.push({
          call: callNo,
          id: u.id,
          name: u.name,
          raw_input: u.input,
          outcome: 'accepted',
          result: { action: c.request.action, params: c.request.params, risk_adjustment: c.riskAdjustment ?? null },
          adjustments: c.adjustments,
        });
        const clamps = c.adjustments.map((a) => `${a.field}: ${JSON.stringify(a.from)} → ${JSON.stringify(a.to)} (${a.reason})`);
        results.push({ type: 'tool_result', tool_use_id: u.id, content: `accepted${clamps.length ? `; adjusted: ${clamps.join('; ')}` : ''}` });
      } else {
        turn.refused.push(`${c.kind}: ${c.problems.join('; ')}`);
        run.toolCalls.push({ call: callNo, id: u.id, name: u.name, raw_input: u.input, outcome: 'refused', result: { kind: c.kind, problems: c.problems } });
        results.push({ type: 'tool_result', tool_use_id: u.id, content: `refused (${c.kind}): ${c.problems.join('; ')}`, is_error: true });
      }
    }
    run.messages.push({ role: 'user', content: results });
    return turn;
  }

  function draftOf(run: Run, c: Extract<CheckedProposal, { ok: true }>): ProposalDraft {
    return {
      action: c.request.action,
      params: { ...c.request.params },
      reasoning: c.rationale,
      reasoner: 'claude',
      adjustments: c.adjustments,
      ...(c.riskAdjustment ? { riskAdjustment: c.riskAdjustment } : {}),
      trace: trace(run, 'proposal'),
    };
  }

  async function fallbackPropose(ctx: IncidentContext, gateway: GatewayReads, run: Run | undefined, why: string, cause: FallbackCause): Promise<ProposalDraft> {
    // The cause leads, so the proposal's fallback_reason sorts by it (timeout, 5xx, 429, malformed …).
    let reason = why.startsWith(`${cause}:`) ? why : `${cause}: ${why}`;
    logger.warn({ incident_id: ctx.incident.id, reason, cause }, 'claude reasoning fell back to the playbook');
    let d: ProposalDraft;
    try {
      d = await opts.fallback.propose(ctx, gateway);
    } catch (err) {
      // The incident must still reach a human: paging is always in the library and always safe to ask.
      logger.error({ err, incident_id: ctx.incident.id }, 'fallback reasoner failed too');
      d = {
        action: 'page_oncall',
        params: { severity: 'error', summary: `Incident ${ctx.incident.id} (${ctx.incident.type}) needs a human: automated reasoning failed`, reason: 'reasoning unavailable' },
        reasoning: 'Neither the model nor the playbook produced a proposal; paging on-call.',
        reasoner: opts.fallback.name,
      };
      reason = `${reason}; the fallback failed too`;
    }
    const claude = run ? trace(run, 'fallback', { fallback_reason: reason, fallback_cause: cause }) : { reasoner: 'claude', outcome: 'fallback', fallback_reason: reason, fallback_cause: cause };
    return { ...d, fallbackReason: reason, trace: { ...claude, fallback_trace: d.trace ?? null } };
  }

  /** The run's deadline: its own budget, or the caller's when sooner; aborts what is in flight then. */
  function budget(o: ReasonOptions | undefined): { deadline: number; signal: AbortSignal; done: () => void } {
    const deadline = Math.min(clock.nowMs() + limits.wallTimeMs, o?.deadline ?? Number.POSITIVE_INFINITY);
    const ac = new AbortController();
    const t = clock.after(Math.max(0, deadline - clock.nowMs()), () => ac.abort());
    return { deadline, signal: ac.signal, done: () => t.cancel() };
  }

  const overCause = (over: string): FallbackCause => (over.startsWith('timeout') ? 'timeout' : 'budget');

  async function propose(ctx: IncidentContext, gateway: GatewayReads, o?: ReasonOptions): Promise<ProposalDraft> {
    const b = budget(o);
    try {
      // Queued for a reasoning slot past its whole deadline: the playbook answers at once.
      if (b.deadline <= clock.nowMs()) return await fallbackPropose(ctx, gateway, undefined, 'the reasoning deadline passed before a reasoning slot took the incident up', 'timeout');
      return await proposeWithin(ctx, gateway, b.deadline, b.signal);
    } finally {
      b.done();
    }
  }

  async function proposeWithin(ctx: IncidentContext, gateway: GatewayReads, deadline: number, signal: AbortSignal): Promise<ProposalDraft> {
    let run: Run | undefined;
    try {
      run = await start(ctx, gateway, 'propose', (t) => `${incidentMessage(ctx, t)}\n\n${proposeInstruction()}`, [], deadline, signal);
      for (;;) {
        const over = exhausted(run);
        if (over) return await fallbackPropose(ctx, gateway, run, over, overCause(over));
        const final = run.calls.length === limits.maxModelCalls - 1;
        if (final && run.calls.length > 0) note(run, FINAL_CALL);
        const out = await step(run, final ? { type: 'any' } : { type: 'auto' });
        if (!out.ok) return await fallbackPropose(ctx, gateway, run, out.reason, out.cause);
        const m = out.message;
        if (m.stop_reason === 'refusal') return await fallbackPropose(ctx, gateway, run, 'the model refused', 'refusal');
        const uses = m.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
        if (uses.length === 0) {
          run.corrections++;
          if (run.corrections > 1) return await fallbackPropose(ctx, gateway, run, 'no proposal after a corrective turn (text-only answer)', 'no_proposal');
          note(run, CORRECTION_TEXT_ONLY);
          continue;
        }
        const turn = await handleTools(run, uses, ctx, gateway);
        if (turn.accepted) return draftOf(run, turn.accepted);
        if (turn.refused.length > 0) {
          run.corrections++;
          if (run.corrections > 1) return await fallbackPropose(ctx, gateway, run, `no valid proposal after a corrective turn: ${turn.refused.join(' | ')}`, 'no_proposal');
          note(run, CORRECTION_INVALID);
        }
      }
    } catch (err) {
      logger.error({ err, incident_id: ctx.incident.id }, 'claude reasoning failed unexpectedly');
      return fallbackPropose(ctx, gateway, run, `unexpected error: ${err instanceof Error ? err.message : String(err)}`, signal.aborted ? 'timeout' : 'error');
    }
  }

  async function fallbackConverse(ctx: IncidentContext, thread: ThreadMessage[], gateway: GatewayReads, run: Run | undefined, reason: string): Promise<ThreadAnswer> {
    logger.warn({ incident_id: ctx.incident.id, reason }, 'claude conversation fell back to the playbook');
    let a: ThreadAnswer;
    try {
      a = await opts.fallback.converse(ctx, thread, gateway);
    } catch (err) {
      logger.error({ err, incident_id: ctx.incident.id }, 'fallback conversation failed too');
      a = { reply: 'I cannot answer right now (automated reasoning is unavailable); the pending proposal stands as it is.' };
      reason = `${reason}; the fallback failed too`;
    }
    const claude = run ? trace(run, 'fallback', { fallback_reason: reason }) : { reasoner: 'claude', outcome: 'fallback', fallback_reason: reason };
    const revision = a.revision ? { ...a.revision, fallbackReason: a.revision.fallbackReason ?? reason } : undefined;
    return { ...a, ...(revision ? { revision } : {}), trace: { ...claude, fallback_trace: a.trace ?? null } };
  }

  async function converse(ctx: IncidentContext, thread: ThreadMessage[], gateway: GatewayReads): Promise<ThreadAnswer> {
    const b = budget(undefined);
    try {
      return await converseWithin(ctx, thread, gateway, b.deadline, b.signal);
    } finally {
      b.done();
    }
  }

  async function converseWithin(ctx: IncidentContext, thread: ThreadMessage[], gateway: GatewayReads, deadline: number, signal: AbortSignal): Promise<ThreadAnswer> {
    let run: Run | undefined;
    try {
      run = await start(ctx, gateway, 'converse', (t) => `${incidentMessage(ctx, t)}\n\n${threadMessage(thread)}`, thread.map((m) => m.text), deadline, signal);
      let lastText = '';
      for (;;) {
        const over = exhausted(run);
        if (over) {
          if (lastText) return { reply: lastText, trace: trace(run, 'reply', { note: over }) };
          return await fallbackConverse(ctx, thread, gateway, run, over);
        }
        // The last allowed call may only answer in text.
        const final = run.calls.length === limits.maxModelCalls - 1;
        const out = await step(run, final ? { type: 'none' } : { type: 'auto' });
        if (!out.ok) return await fallbackConverse(ctx, thread, gateway, run, out.reason);
        const m = out.message;
        const text = textOf(m);
        if (text) lastText = text;
        const uses = m.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
        if (uses.length === 0) {
          if (text) return { reply: text, trace: trace(run, 'reply') };
          run.corrections++;
          if (run.corrections > 1) return await fallbackConverse(ctx, thread, gateway, run, 'no answer after a corrective turn');
          note(run, 'Answer the operator in plain text.');
          continue;
        }
        const turn = await handleTools(run, uses, ctx, gateway);
        if (turn.accepted) {
          const c = turn.accepted;
          const draft = draftOf(run, c);
          const reply = text || `I propose instead: ${specFor(c.request.action).describe(c.request.params)}. ${c.rationale}`;
          return { reply, revision: draft, trace: draft.trace ?? trace(run, 'revision') };
        }
        if (turn.refused.length > 0) {
          run.corrections++;
          if (run.corrections > 1) {
            // The model's text may announce a change that code refused: the reply says so.
            const refusal = `No revision was made: ${turn.refused[0]?.slice(0, 300) ?? 'refused by the guardrails'}`;
            if (lastText) return { reply: `${lastText}\n\n${refusal}`, trace: trace(run, 'reply', { revision_refused: turn.refused }) };
            return await fallbackConverse(ctx, thread, gateway, run, `revision refused twice: ${turn.refused.join(' | ')}`);
          }
          note(run, CORRECTION_INVALID_REVISION);
        }
      }
    } catch (err) {
      logger.error({ err, incident_id: ctx.incident.id }, 'claude conversation failed unexpectedly');
      return fallbackConverse(ctx, thread, gateway, run, `unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  return { name: 'claude', propose, converse };
}
