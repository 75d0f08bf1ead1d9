import type { ProposalDraft } from '../reasoner.js';
import { estimateCostUsd, pricesFor } from './cost.js';
import { SYSTEM_PROMPT, SYSTEM_PROMPT_VERSION } from './prompt.js';
import type { ReasonerEnv, Run } from './run.js';
import type { AcceptedProposal } from './tool-turn.js';

/** The `reasoning.completed` payload: everything the model saw and said, and what code made of it. */
export function trace(env: ReasonerEnv, run: Run, outcome: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    reasoner: 'claude',
    mode: run.mode,
    model: env.model,
    system_prompt_version: SYSTEM_PROMPT_VERSION,
    system_prompt: SYSTEM_PROMPT,
    tools: run.tools,
    targets: run.targets,
    messages: run.messages,
    calls: run.calls,
    tool_calls: run.toolCalls,
    usage: run.usage,
    cost_usd: estimateCostUsd(env.model, run.usage),
    cost_note: `estimate from list prices (${pricesFor(env.model).pricedAs})`,
    corrections: run.corrections,
    injection_signals: run.injection,
    wall_ms: env.clock.nowMs() - run.started,
    outcome,
    ...extra,
  };
}

export function draftOf(env: ReasonerEnv, run: Run, c: AcceptedProposal): ProposalDraft {
  return {
    action: c.request.action,
    params: { ...c.request.params },
    reasoning: c.rationale,
    reasoner: 'claude',
    adjustments: c.adjustments,
    ...(c.riskAdjustment ? { riskAdjustment: c.riskAdjustment } : {}),
    trace: trace(env, run, 'proposal'),
  };
}
