import { eq } from 'drizzle-orm';
import { delay, http } from 'msw';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { schema } from '../../src/db/client.js';
import { BASE_URL } from '../agent/claude/support.js';
import { INGEST_TOKEN, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { useMsw } from '../support/msw.js';
import { eventually } from '../support/eventually.js';

/**
 * SIGTERM (issue 18, item 9): the agent stops taking work and hands its leases back within its
 * drain, instead of waiting out a reasoning deadline, so a peer takes the incident at once.
 */

const server = useMsw();
let db: TestDatabase;
const agents: RunningAgent[] = [];
beforeEach(async () => {
  db = await freshPostgres();
});
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop().catch(() => undefined);
  await db.dispose();
});

const poll = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(probe, { what, timeoutMs: 10_000 });

it('a replica stopping while the model hangs hands the incident back; a peer proposes for it at once', async () => {
  let modelCalls = 0;
  server.use(
    http.post(`${BASE_URL}/v1/messages`, async () => {
      modelCalls++;
      await delay('infinite');
      return new Response(null);
    }),
  );
  const a = await startAgent(db, { SRE_CONSUMER_NAME: 'sre-a', ANTHROPIC_API_KEY: 'sk-ant-test-key', ANTHROPIC_BASE_URL: BASE_URL, SRE_REASONING_DEADLINE: '60s' }, { loopMs: 20, drainMs: 100 });
  expect((await post(a.base, '/v1/events', unhealthy('openai'), INGEST_TOKEN)).status).toBe(202);
  await poll('the model call', async () => (modelCalls > 0 ? true : undefined));
  const [leased] = await db.db.select().from(schema.timers).where(eq(schema.timers.kind, 'propose'));
  expect(leased).toMatchObject({ status: 'pending', leasedBy: 'sre-a', attempts: 1 });

  await a.stop();
  const [handed] = await db.db.select().from(schema.timers).where(eq(schema.timers.kind, 'propose'));
  expect(handed).toMatchObject({ status: 'pending', leasedBy: null, leaseExpiresAt: null, attempts: 0 });

  const b = await startAgent(db, { SRE_CONSUMER_NAME: 'sre-b' });
  agents.push(b);
  await b.agent.tick();
  const props = await db.db.select().from(schema.proposals);
  expect(props).toHaveLength(1);
  expect(props[0]).toMatchObject({ reasoner: 'playbook' });
});
