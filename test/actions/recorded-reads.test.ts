import { describe, expect, it } from 'vitest';
import type { GatewayReads } from '../../src/actions/gateway.js';
import { recordReads, replayReads } from '../../src/actions/recorded-reads.js';
import { createSimulatedGateway } from '../../src/actions/simulated.js';

/** The reads a proposal is made from, recorded and answered again without a gateway (issue 19, item 4). */
describe('recorded gateway reads', () => {
  it('keeps the first answer to each read, an unknown name as null and a failure as its error', async () => {
    const sim = createSimulatedGateway();
    let budgetCalls = 0;
    const inner: GatewayReads = {
      ...sim,
      getBudget: async (scope, id) => {
        budgetCalls++;
        if (budgetCalls === 1) throw new Error('connect ECONNREFUSED 10.0.0.1:443');
        return sim.getBudget(scope, id);
      },
    };
    const r = recordReads(inner);
    const provider = await r.gateway.getProvider('openai');
    await r.gateway.getProvider('openai');
    expect(await r.gateway.getModelGroup('no-such-group')).toBeUndefined();
    await expect(r.gateway.getBudget('team', 't-search')).rejects.toThrow('ECONNREFUSED');
    await r.gateway.getBudget('team', 't-search');
    expect(r.reads()).toEqual([
      { read: 'provider', key: 'openai', result: provider },
      { read: 'model_group', key: 'no-such-group', result: null },
      { read: 'budget', key: 'team/t-search', error: 'connect ECONNREFUSED 10.0.0.1:443' },
    ]);

    const again = replayReads(r.reads());
    expect(await again.getProvider('openai')).toEqual(provider);
    expect(await again.getModelGroup('no-such-group')).toBeUndefined();
    await expect(again.getBudget('team', 't-search')).rejects.toThrow('budget team/t-search failed when the proposal was made: connect ECONNREFUSED');
    await expect(again.getProvider('anthropic')).rejects.toThrow('provider anthropic was not read when the proposal was made');
    await expect(replayReads(null).getProvider('openai')).rejects.toThrow('was not read');
  });

  it('hands back copies: a later change to what the gateway returned does not change the record', async () => {
    const r = recordReads(createSimulatedGateway());
    const p = await r.gateway.getProvider('openai');
    p!.healthy = !p!.healthy;
    expect(r.reads()[0]).toMatchObject({ read: 'provider', result: { healthy: !p!.healthy } });
  });
});
