import type { ToolResultBlockParam, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import type { GatewayReads } from '../../actions/gateway.js';
import type { IncidentContext } from '../reasoner.js';
import { checkProposal, type CheckedProposal } from './guardrails.js';
import type { ReasonerEnv, Run, ToolCallRecord } from './run.js';
import { INVESTIGATION_TOOLS, runInvestigation } from './tools.js';
import { withSpan } from '../../telemetry/index.js';

export type AcceptedProposal = Extract<CheckedProposal, { ok: true }>;

export interface Turn {
  accepted?: AcceptedProposal;
  refused: string[];
  reads: number;
}

type Answered = { record: Omit<ToolCallRecord, 'call' | 'id' | 'name' | 'raw_input'>; result: Omit<ToolResultBlockParam, 'type' | 'tool_use_id'> };

const ONE_PROPOSAL = 'more than one proposal in one answer: exactly one proposal ends a run';

async function answerRead(env: ReasonerEnv, run: Run, u: ToolUseBlock, ctx: IncidentContext, gateway: GatewayReads): Promise<Answered> {
  const r = await runInvestigation(u.name, u.input, ctx, gateway, run.targets, env.limits.readTimeoutMs, env.clock);
  return {
    record: { outcome: r.ok ? 'read' : 'read_refused', result: r.content },
    result: { content: r.content, ...(r.ok ? {} : { is_error: true }) },
  };
}

function answerProposal(run: Run, u: ToolUseBlock, turn: Turn): Answered {
  const c = checkProposal(u.name, u.input, run.actions, run.targets, { allowLowering: run.injection.length === 0 });
  if (!c.ok) {
    turn.refused.push(`${c.kind}: ${c.problems.join('; ')}`);
    return {
      record: { outcome: 'refused', result: { kind: c.kind, problems: c.problems } },
      result: { content: `refused (${c.kind}): ${c.problems.join('; ')}`, is_error: true },
    };
  }
  turn.accepted = c;
  const clamps = c.adjustments.map((a) => `${a.field}: ${JSON.stringify(a.from)} → ${JSON.stringify(a.to)} (${a.reason})`);
  return {
    record: {
      outcome: 'accepted',
      result: { action: c.request.action, params: c.request.params, risk_adjustment: c.riskAdjustment ?? null },
      adjustments: c.adjustments,
    },
    result: { content: `accepted${clamps.length ? `; adjusted: ${clamps.join('; ')}` : ''}` },
  };
}

function refuseExtraProposal(turn: Turn): Answered {
  turn.refused.push(ONE_PROPOSAL);
  return {
    record: { outcome: 'refused', result: { kind: 'invalid_input', problems: [ONE_PROPOSAL] } },
    result: { content: `refused: ${ONE_PROPOSAL}`, is_error: true },
  };
}

/** Runs reads, checks proposals, and answers every tool_use with a tool_result. */
export async function handleTools(env: ReasonerEnv, run: Run, uses: ToolUseBlock[], ctx: IncidentContext, gateway: GatewayReads): Promise<Turn> {
  const turn: Turn = { refused: [], reads: 0 };
  const results: ToolResultBlockParam[] = [];
  const proposals = uses.filter((u) => !INVESTIGATION_TOOLS.has(u.name)).length;
  const callNo = run.calls.length;
  for (const u of uses) {
    const read = INVESTIGATION_TOOLS.has(u.name);
    if (read) turn.reads++;
    // One span per tool call (gen_ai execute_tool): its outcome says whether a read answered or a proposal was accepted.
    const a = await withSpan(`execute_tool ${u.name}`, { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': u.name, 'gen_ai.tool.call.id': u.id, 'gen_ai.tool.type': 'function' } }, async (span) => {
      const answered = read ? await answerRead(env, run, u, ctx, gateway) : proposals > 1 ? refuseExtraProposal(turn) : answerProposal(run, u, turn);
      span.setAttribute('sre.tool.outcome', answered.record.outcome);
      return answered;
    });
    run.toolCalls.push({ call: callNo, id: u.id, name: u.name, raw_input: u.input, ...a.record });
    results.push({ type: 'tool_result', tool_use_id: u.id, ...a.result });
  }
  run.messages.push({ role: 'user', content: results });
  return turn;
}
