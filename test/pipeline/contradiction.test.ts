import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSimulatedGateway, defaultSimulatedState, type SimulatedGateway } from '../../src/actions/simulated.js';
import { eventContradiction } from '../../src/domain/contradiction.js';
import { ALICE, INGEST_TOKEN, get, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { workdayClock } from '../support/clock.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

/**
 * An event does not outweigh the gateway (issue 18, item 8): when the gateway's own read
 * contradicts the event, the proposal is never executed automatically, and says why.
 */

let db: TestDatabase;
let a: RunningAgent;
let gateway: SimulatedGateway;
const AUTO = { SRE_AUTO_APPROVE: 'true', SRE_RISK_THRESHOLD: '100', SRE_TWO_PERSON_SCORE: '100' };

beforeEach(async () => {
  db = await freshPostgres();
});
afterEach(async () => {
  await a.stop();
  await db.dispose();
});

async function proposeFor(healthy: boolean) {
  const clock = workdayClock();
  const seed = defaultSimulatedState();
  seed.providers.openai!.healthy = healthy;
  seed.providers.openai!.error_rate = healthy ? 0.002 : 0.7;
  gateway = createSimulatedGateway({ seed, clock });
  a = await startAgent(db, AUTO, { gateway, clock });
  expect((await post(a.base, '/v1/events', unhealthy('openai', { error_rate: 0.7 }), INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  return (await get(a.base, '/v1/proposals', ALICE)).body.proposals[0];
}

it('the gateway reads the provider healthy: the proposal waits for a person, with the reason among its factors', async () => {
  const p = await proposeFor(true);
  expect(p).toMatchObject({ status: 'pending', route: 'gate' });
  expect(p.risk_factors).toContainEqual(expect.objectContaining({ name: 'gateway_disagrees', reason: expect.stringMatching(/reads openai healthy \(error rate 0\.2 %\) while the event reports 70 % errors/) }));
  expect(gateway.calls().filter((c) => c.call.method !== 'GET')).toEqual([]);
});

it('the gateway agrees: auto-approval works as before', async () => {
  const p = await proposeFor(false);
  expect(p.status).toBe('succeeded');
  expect(p.risk_factors.map((f: { name: string }) => f.name)).not.toContain('gateway_disagrees');
});

it('the rule itself: a healthy read well under the event, or a budget read under its limit, contradicts; agreement does not', () => {
  const provider = (healthy: boolean, error_rate?: number) => ({ provider: { name: 'openai', healthy, ...(error_rate !== undefined ? { error_rate } : {}) } });
  expect(eventContradiction('provider.unhealthy', { error_rate: 0.7 }, provider(true, 0.01))).toMatch(/healthy/);
  expect(eventContradiction('provider.unhealthy', { error_rate: 0.7 }, provider(true))).toMatch(/healthy while/);
  expect(eventContradiction('provider.unhealthy', { error_rate: 0.7 }, provider(true, 0.5))).toBeUndefined();
  expect(eventContradiction('provider.unhealthy', { error_rate: 0.7 }, provider(false, 0.01))).toBeUndefined();
  expect(eventContradiction('provider.unhealthy', { error_rate: 0.7 }, {})).toBeUndefined();
  const budget = { budget: { hard_limit_usd: 100, spend_usd: 40 } };
  expect(eventContradiction('budget.exceeded', { limit_kind: 'hard', limit_usd: 100, spend_usd: 120 }, budget)).toMatch(/\$40 spent against a limit of \$100/);
  expect(eventContradiction('budget.exceeded', { limit_kind: 'hard', limit_usd: 100, spend_usd: 120 }, { budget: { hard_limit_usd: 100, spend_usd: 130 } })).toBeUndefined();
});
