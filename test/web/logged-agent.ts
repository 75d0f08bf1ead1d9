import { afterAll, beforeAll } from 'vitest';
import { startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { capturingLogger, request } from './request.js';

/** A wrong bearer with SECRET in it, so that a log line carrying it would be found. */
export const WRONG = 'wrong-token-SECRET-0123456789';

export interface LoggedAgent {
  /** The agent's base URL (read inside a test: the agent starts in beforeAll). */
  readonly base: string;
  /** Every log line the agent wrote so far. */
  logs: () => string;
  /** Lists pending proposals from `from` with `token` as the API bearer. */
  api: (from: string, token: string) => ReturnType<typeof request>;
  /** Posts one provider.unhealthy event from `from` with `token` as the ingest bearer. */
  ingest: (from: string, token: string) => ReturnType<typeof request>;
}

/**
 * One agent for a describe block on a fresh database, with its log lines captured (what the brakes
 * warn about, and that no secret is in them). Registers its own beforeAll/afterAll.
 */
export function loggedAgent(env: Record<string, string> = {}): LoggedAgent {
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
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  return {
    get base() {
      return a.base;
    },
    logs: () => logs(),
    api: (from, token) => request(a.base, 'GET', '/v1/proposals?status=pending', { from, headers: bearer(token) }),
    ingest: (from, token) => request(a.base, 'POST', '/v1/events', { from, headers: bearer(token), json: unhealthy('cohere') }),
  };
}
