import type { ContentBlock, ContentBlockParam, Message, MessageParam, ToolChoice, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import { addUsage } from './cost.js';
import { callModel, type CallOutcome } from './model-call.js';
import { SYSTEM_PROMPT } from './prompt.js';
import type { CallRecord, ReasonerEnv, Run } from './run.js';

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

export const textOf = (m: Message) =>
  m.content
    .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('\n')
    .trim();

export const toolUsesOf = (m: Message) => m.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');

/** One model call: recorded in the run's calls, its answer appended to the conversation. */
export async function step(env: ReasonerEnv, run: Run, toolChoice: ToolChoice): Promise<CallOutcome> {
  const t0 = env.clock.nowMs();
  const params = {
    model: env.model,
    max_tokens: env.limits.maxOutputTokens,
    system: [{ type: 'text' as const, text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' as const } }],
    tools: run.tools,
    tool_choice: toolChoice,
    messages: withTailBreakpoint(run.messages),
  };
  const out = await callModel({ client: env.client, params, policy: env.policy, deadline: run.deadline, logger: env.logger, signal: run.signal });
  const rec: CallRecord = {
    n: run.calls.length + 1,
    messages_sent: run.messages.length,
    tool_choice: toolChoice,
    latency_ms: env.clock.nowMs() - t0,
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
