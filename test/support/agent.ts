import pino from 'pino';
import { createSimulatedGateway, defaultSimulatedState, type SimulatedGateway, type SimulatedState } from '../../src/actions/simulated.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createAgent, type Agent } from '../../src/main.js';
import { workdayClock } from './clock.js';
import type { TestDatabase } from './db.js';

export const INGEST_TOKEN = 'ingest-token-0123456789abcdef0123456';
export const ALICE = 'alice-token-0123456789abcdef';
export const BOB = 'bob-token-0123456789abcdefgh';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    SRE_INGEST_TOKEN: INGEST_TOKEN,
    SRE_API_TOKENS: `alice:${ALICE},bob:${BOB}`,
    // Tests written before issue 24 expect a page to wait for a person; paging tests pass '' (unset: the product default, true).
    SRE_PAGE_WITHOUT_APPROVAL: 'false',
    ...env,
  });
}

export interface RunningAgent {
  agent: Agent;
  base: string;
  stop(): Promise<void>;
}

/** An agent on a test database, listening on a free loopback port, background loop off (tests tick). */
export async function startAgent(db: TestDatabase, env: Record<string, string> = {}, opts: Parameters<typeof createAgent>[1] = {}): Promise<RunningAgent> {
  const agent = await createAgent(testConfig(env), { database: db, loopMs: 0, logger: pino({ level: 'silent' }), reconcileStaleMs: 0, clock: workdayClock(), ...opts });
  const port = await agent.start();
  return { agent, base: `http://127.0.0.1:${port}`, stop: () => agent.stop() };
}

let seq = 0;
export function event(type: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  seq++;
  return { id: `evt_${Date.now().toString(36)}_${seq}_${Math.random().toString(36).slice(2, 8)}`, type, occurred_at: new Date().toISOString(), source: 'admin-api', data, ...extra };
}

export const unhealthy = (provider = 'openai', extra: Record<string, unknown> = {}) =>
  event('provider.unhealthy', { provider, error_rate: 0.7, requests: 1200, window_seconds: 60, model_group: 'gpt-4o', ...extra });

/** The tests' one HTTP client (test/support/http.ts), re-exported for the many callers that import it from here. */
export { get, post } from './http.js';

/**
 * The simulated gateway reading these providers as failing, as `unhealthy()` events say: an event
 * the gateway agrees with (one it contradicts is never executed automatically).
 */
export function gatewayAgreeing(providers: readonly string[], clock?: Pick<Clock, 'now'>, adjust: (seed: SimulatedState) => void = () => {}): SimulatedGateway {
  const seed = defaultSimulatedState();
  adjust(seed);
  for (const p of providers) {
    const s = seed.providers[p];
    if (!s) throw new Error(`the simulated gateway has no provider ${p}`);
    s.healthy = false;
    s.error_rate = 0.7;
  }
  return createSimulatedGateway({ seed, ...(clock ? { clock } : {}) });
}
