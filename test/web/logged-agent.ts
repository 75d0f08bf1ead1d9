import { afterAll, beforeAll } from 'vitest';
import { startAgent, type RunningAgent } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { capturingLogger } from './request.js';

/**
 * One agent for a describe block on a fresh database, with its log lines captured (what the brakes
 * warn about, and that no secret is in them). Registers its own beforeAll/afterAll.
 */
export function loggedAgent(env: Record<string, string> = {}): { agent: () => RunningAgent; logs: () => string } {
  let d: TestDatabase;
  let a: RunningAgent;
  let logs: () => string = () => '';
  beforeAll(async () => {
    d = await freshPostgres();
    const cap = capturingLogger();
    logs = cap.text;
    a = await startAgent(d, env, { logger: cap.logger });
  });
  afterAll(async () => {
    await a?.stop();
    await d?.dispose();
  });
  return { agent: () => a, logs: () => logs() };
}
