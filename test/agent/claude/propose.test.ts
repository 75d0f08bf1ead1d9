import { describe, expect, it } from 'vitest';
import { createSimulatedGateway } from '../../../src/actions/simulated.js';
import { normalizeAction } from '../../../src/domain/actions.js';
import { SYSTEM_PROMPT_VERSION } from '../../../src/agent/claude/prompt.js';
import { useMsw } from '../../support/msw.js';
import { MODEL, message, messagesApi, providerIncident, reasoner, slaIncident, text, tool, toolOf, userText } from './support.js';

const server = useMsw();

const breakOpenai = (extra: Record<string, unknown> = {}) =>
  tool('propose_circuit_break_provider', {
    provider: 'openai',
    duration_seconds: 120,
    reason: 'openai failing 42 % of requests',
    rationale: 'openai returns 503s for 42 % of traffic; azure-openai is healthy, so a short break sheds load safely.',
    ...extra,
  });

describe('claude reasoner: proposals', () => {
  it('sends tools with incident enums, cache breakpoints and fenced data, and returns a good proposal with a trace', async () => {
    const sent = messagesApi(server, [
      () => message([text('Checking the model group first.'), tool('get_model_group', { name: 'gpt-4o' })]),
      () => message([breakOpenai()]),
    ]);
    const draft = await reasoner().propose(providerIncident(), createSimulatedGateway());

    expect(draft).toMatchObject({
      reasoner: 'claude',
      action: 'circuit_break_provider',
      params: { provider: 'openai', duration_seconds: 120, reason: 'openai failing 42 % of requests' },
      adjustments: [],
    });
    expect(draft.fallbackReason).toBeUndefined();
    expect(sent).toHaveLength(2);

    const first = sent[0]!;
    expect(first.body.model).toBe(MODEL);
    expect(`${first.headers.get('x-api-key') ?? ''} ${first.headers.get('authorization') ?? ''}`).toContain('sk-ant-test-key');
    expect(first.body.system).toEqual([expect.objectContaining({ type: 'text', cache_control: { type: 'ephemeral' } })]);
    const names = first.body.tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['get_provider', 'get_model_group', 'get_incident_events', 'get_incident_history', 'propose_circuit_break_provider', 'propose_reroute_model_group', 'propose_page_oncall']));
    // No SLA, budget, team or guardrail in this incident: those actions are not offered at all.
    expect(names).not.toContain('propose_disable_sla_contract');
    expect(names).not.toContain('propose_bump_budget_cap');
    expect(names).not.toContain('propose_disable_guardrail_rule');
    expect(first.body.tools.at(-1)).toMatchObject({ cache_control: { type: 'ephemeral' } });
    expect(first.body.tools.filter((t) => t.cache_control)).toHaveLength(1);
    // The newest turn carries the third breakpoint, so later turns read earlier ones from cache.
    expect((first.body.messages.at(-1)!.content as Record<string, unknown>[]).at(-1)).toMatchObject({ cache_control: { type: 'ephemeral' } });

    const cb = toolOf(first, 'propose_circuit_break_provider').input_schema.properties;
    expect(cb.provider?.enum).toEqual(['openai']);
    expect(cb).toHaveProperty('rationale');
    expect(cb).toHaveProperty('risk_adjustment');
    const rr = toolOf(first, 'propose_reroute_model_group').input_schema.properties;
    expect(rr.model_group?.enum).toEqual(['gpt-4o']);
    expect(rr.provider?.enum).toEqual(['azure-openai']);

    expect(userText(first)).toMatch(/<untrusted_event_data>[\s\S]*upstream 503 Service Unavailable[\s\S]*<\/untrusted_event_data>/);
    // The read went back as a tool_result, fenced, answering the tool_use id.
    const second = sent[1]!;
    const results = second.body.messages.at(-1)!.content as { type: string; tool_use_id: string; content: string }[];
    expect(results[0]).toMatchObject({ type: 'tool_result' });
    expect(results[0]!.content).toMatch(/^<untrusted_tool_data>[\s\S]*azure-openai/);

    const trace = draft.trace as Record<string, unknown> & { calls: { response: { stop_reason: string } | null; messages_sent: number }[] };
    expect(trace.system_prompt_version).toBe(SYSTEM_PROMPT_VERSION);
    expect(trace.calls.map((c) => c.response?.stop_reason)).toEqual(['tool_use', 'tool_use']);
    expect(trace.calls.map((c) => c.messages_sent)).toEqual([1, 3]);
    expect(trace.usage).toEqual({ input_tokens: 3600, output_tokens: 440, cache_read_input_tokens: expect.any(Number), cache_creation_input_tokens: expect.any(Number) });
    expect(trace.cost_usd).toBeGreaterThan(0);
    // user, assistant (read), user (result), assistant (proposal), user (its acknowledgement)
    expect((trace.messages as unknown[]).length).toBe(5);
  });

  it('clamps an out-of-bounds duration and records the raw input and the adjustment', async () => {
    messagesApi(server, [() => message([breakOpenai({ duration_seconds: 3600 })])]);
    const draft = await reasoner().propose(providerIncident(), createSimulatedGateway());
    expect(draft.reasoner).toBe('claude');
    expect(draft.params).toMatchObject({ provider: 'openai', duration_seconds: 300 });
    expect(draft.adjustments).toEqual([expect.objectContaining({ field: 'duration_seconds', from: 3600, to: 300 })]);
    const calls = (draft.trace as { tool_calls: { raw_input: { duration_seconds: number }; outcome: string }[] }).tool_calls;
    expect(calls[0]).toMatchObject({ outcome: 'accepted', raw_input: { duration_seconds: 3600 } });
    expect(normalizeAction(draft.action, draft.params).ok).toBe(true);
  });

  it('takes `previous` from the admin-api, not the model, and clamps a raise above 50 %', async () => {
    messagesApi(server, [
      () =>
        message([
          tool('propose_raise_rate_limit', {
            team: 't-checkout',
            requests_per_minute: 5000,
            previous: 4000,
            reason: 'checkout throttled',
            rationale: 'p95 breach caused by throttling',
          }),
        ]),
    ]);
    const draft = await reasoner().propose(slaIncident(), createSimulatedGateway());
    expect(draft).toMatchObject({ reasoner: 'claude', action: 'raise_rate_limit', params: { team: 't-checkout', previous: 600, requests_per_minute: 900 } });
    expect(draft.adjustments?.map((a) => a.field)).toEqual(['previous', 'requests_per_minute']);
  });

  it('corrects an unknown tool and a foreign target with one turn each time, then falls back when repeated', async () => {
    const sent = messagesApi(server, [
      () => message([tool('propose_delete_everything', { rationale: 'x' })]),
      () => message([breakOpenai({ provider: 'anthropic' })]),
    ]);
    const draft = await reasoner().propose(providerIncident(), createSimulatedGateway());
    expect(sent).toHaveLength(2);
    const correction = userText(sent[1]!);
    expect(correction).toMatch(/refused \(unknown_tool\)/);
    expect(correction).toMatch(/Use only the tools offered/);
    expect(draft.reasoner).toBe('playbook');
    expect(draft.fallbackReason).toMatch(/foreign_target/);
    expect((draft.trace as { outcome: string }).outcome).toBe('fallback');
  });

  it('accepts the corrected proposal after one corrective turn', async () => {
    messagesApi(server, [() => message([breakOpenai({ provider: 'openai; DROP TABLE' })]), () => message([breakOpenai()])]);
    const draft = await reasoner().propose(providerIncident(), createSimulatedGateway());
    expect(draft).toMatchObject({ reasoner: 'claude', action: 'circuit_break_provider', params: { provider: 'openai' } });
    expect((draft.trace as { corrections: number }).corrections).toBe(1);
  });

  it('gives a text-only answer one corrective turn, then falls back', async () => {
    const sent = messagesApi(server, [() => message([text('I think openai is down.')]), () => message([text('Still thinking.')])]);
    const draft = await reasoner().propose(providerIncident(), createSimulatedGateway());
    expect(sent).toHaveLength(2);
    expect(userText(sent[1]!)).toMatch(/had no tool call/);
    expect(draft).toMatchObject({ reasoner: 'playbook', fallbackReason: expect.stringMatching(/text-only/) });
  });

  it('stops at the model-call cap and falls back', async () => {
    const sent = messagesApi(server, [() => message([tool('get_incident_events', {})])]);
    const draft = await reasoner({ maxModelCalls: 3 }).propose(providerIncident(), createSimulatedGateway());
    expect(sent).toHaveLength(3);
    expect(sent[2]!.body.tool_choice).toEqual({ type: 'any' });
    expect(draft).toMatchObject({ reasoner: 'playbook', fallbackReason: expect.stringMatching(/model-call cap/) });
  });
});
