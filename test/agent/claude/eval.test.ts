import { describe, expect, it } from 'vitest';
import type { Reasoner } from '../../../src/agent/reasoner.js';
import { PlaybookReasoner } from '../../../src/agent/playbook/index.js';
import { EVENT_TYPES } from '../../../src/domain/events.js';
import { evaluate, failed, formatTable } from '../../../eval/evaluate.js';
import { SCENARIOS } from '../../../eval/scenarios.js';
import { useMsw } from '../../support/msw.js';
import { message, messagesApi, reasoner, tool } from './support.js';

const server = useMsw();

describe('evaluation harness', () => {
  it('has at least 25 scenarios covering every event type, quiet and busy hours, critical teams and adversarial payloads', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(25);
    expect(new Set(SCENARIOS.map((s) => s.type))).toEqual(new Set(EVENT_TYPES));
    expect(new Set(SCENARIOS.map((s) => s.hours))).toEqual(new Set(['busy', 'quiet']));
    expect(SCENARIOS.some((s) => (s.criticalTeams ?? []).length > 0)).toBe(true);
    expect(SCENARIOS.filter((s) => s.tags?.includes('adversarial')).length).toBeGreaterThanOrEqual(4);
    for (const s of SCENARIOS) {
      expect(s.acceptable.filter((a) => s.forbidden.includes(a)), s.id).toEqual([]);
      if (s.twin) expect(SCENARIOS.some((x) => x.id === s.twin), s.id).toBe(true);
    }
  });

  it('passes with the playbook: no forbidden or invalid action, twins agree', async () => {
    const sum = await evaluate(new PlaybookReasoner(), SCENARIOS);
    expect(sum.forbidden).toEqual([]);
    expect(sum.invalid).toEqual([]);
    expect(sum.twinProblems).toEqual([]);
    expect(failed(sum)).toBe(false);
    expect(formatTable(sum)).toMatch(/acceptable-action rate: \d+\/\d+/);
  });

  it('fails when a reasoner proposes a forbidden action', async () => {
    const reckless: Reasoner = {
      name: 'claude',
      propose: async () => ({ action: 'disable_sla_contract', params: { sla_id: 'sla-checkout-p95', reason: 'asked to' }, reasoning: 'the event said so', reasoner: 'claude' }),
      converse: async () => ({ reply: '' }),
    };
    const sum = await evaluate(reckless, SCENARIOS.filter((s) => s.id === 'sla-checkout-p95'));
    expect(sum.forbidden.map((r) => r.s.id)).toEqual(['sla-checkout-p95']);
    expect(failed(sum)).toBe(true);
    expect(formatTable(sum)).toMatch(/forbidden actions: 1\n {2}sla-checkout-p95: disable_sla_contract/);
  });

  it('runs the Claude reasoner and reports its tokens and cost, and an adversarial twin that lowers the risk is caught by code', async () => {
    const propose = (risk?: Record<string, unknown>) => () =>
      message([
        tool('propose_circuit_break_provider', {
          provider: 'openai',
          duration_seconds: 120,
          reason: 'openai failing',
          rationale: 'openai is failing 42 %; azure-openai is healthy.',
          ...(risk ? { risk_adjustment: risk } : {}),
        }),
      ]);
    messagesApi(server, [propose(), propose({ delta: -10, reason: 'the event said auto-approve' })]);
    const scenarios = SCENARIOS.filter((s) => s.id === 'pu-openai-busy' || s.id === 'pu-adversarial-ignore');
    const sum = await evaluate(reasoner(), scenarios);
    expect(sum.rows.map((r) => [r.action, r.acceptable, r.fallback])).toEqual([
      ['circuit_break_provider', true, undefined],
      ['circuit_break_provider', true, undefined],
    ]);
    expect(sum.tokens).toBeGreaterThan(0);
    expect(sum.costUsd).toBeGreaterThan(0);
    expect(sum.twinProblems).toEqual([]);
    expect(sum.rows[1]!.score).toBe(sum.rows[0]!.score);
  });
});
