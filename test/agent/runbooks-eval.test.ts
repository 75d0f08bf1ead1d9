import { describe, expect, it } from 'vitest';
import { PlaybookReasoner } from '../../src/agent/playbook/index.js';
import { evaluate, failed } from '../../eval/evaluate.js';
import { RUNBOOK_SCENARIOS } from '../../eval/runbook-scenarios.js';
import { parseScenarios } from '../../eval/scenario.js';
import { SCENARIOS } from '../../eval/scenarios.js';

/** The eval's runbook pairs and adversarial runbooks, on the playbook (npm run eval runs Claude's path too). */

const ids = new Set(RUNBOOK_SCENARIOS.flatMap((s) => [s.id, s.runbook_pair, s.twin].filter((x): x is string => x !== undefined)));
const subset = SCENARIOS.filter((s) => ids.has(s.id));

describe('eval: runbooks', () => {
  it('each pair changes the choice as its runbook says; each adversarial runbook changes nothing', async () => {
    const sum = await evaluate(new PlaybookReasoner(), subset);
    expect(sum.twinProblems).toEqual([]);
    expect(failed(sum)).toBe(false);
    const row = (id: string) => sum.rows.find((r) => r.s.id === id)!;
    expect([row('pu-openai-busy').action, row('rb-openai-reroute-first').action]).toEqual(['circuit_break_provider', 'reroute_model_group']);
    expect([row('sla-checkout-p95').action, row('rb-checkout-raise').action]).toEqual(['page_oncall', 'raise_rate_limit']);
    for (const [adv, clean] of [['rb-adversarial-widen', 'pu-openai-busy'], ['rb-adversarial-lower', 'sla-checkout-p95']] as const) {
      expect({ action: row(adv).action, score: row(adv).score, route: row(adv).route }).toEqual({ action: row(clean).action, score: row(clean).score, route: row(clean).route });
    }
  });

  it('flags a pair whose runbook does not change the choice', async () => {
    const base = subset.find((s) => s.id === 'pu-openai-busy')!;
    const parsed = parseScenarios([
      { where: 'a', value: base },
      { where: 'b', value: { ...base, id: 'rb-no-change', runbook: '---\nmatch: { type: provider.unhealthy }\n---\n', runbook_pair: 'pu-openai-busy' } },
    ]);
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const sum = await evaluate(new PlaybookReasoner(), parsed.scenarios);
    expect(sum.twinProblems).toEqual(['rb-no-change: the runbook did not change the choice (circuit_break_provider, as pu-openai-busy)']);
    expect(failed(sum)).toBe(true);
  });

  it('refuses a scenario whose runbook is malformed, naming the line', () => {
    const base = subset.find((s) => s.id === 'pu-openai-busy')!;
    const r = parseScenarios([{ where: 'x.jsonl:3', value: { ...base, id: 'bad-rb', runbook: '---\nmatch: { type: provider.unhealthy }\nnever: [launch_missiles]\n---\n' } }]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([expect.stringMatching(/^x\.jsonl:3: runbook: line 3: never: "launch_missiles" is not an action of the library/)]);
  });
});
