import { setupServer } from 'msw/node';
import { test as base } from 'vitest';
import type { SimulatedGateway } from '../../src/actions/simulated.js';
import type { createAgent } from '../../src/main.js';
import { mockSlack, slashCommand, startHarness, type Harness, type SlackMock } from '../slack/harness.js';
import { redis, uniqueStream } from '../ingest/stream/support.js';
import { gatewayAgreeing, startAgent as start, type RunningAgent } from './agent.js';
import { workdayClock, type TestClock } from './clock.js';
import { freshPostgres, type TestDatabase } from './db.js';
import { TEST_REDIS_URL } from './env.js';

/**
 * The set-up the pipeline, stream and Slack tests share, as vitest fixtures (`test.extend`): each
 * is built only for a test that names it, and torn down after it, failing or not.
 *
 *   pgTest      db: a fresh database cloned from the run's migrated template, dropped after.
 *   agentTest   + msw (unhandled third-party calls fail), the simulated gateway as the admin-api
 *               twin, and agent: an agent started on db with `env` (override per describe with
 *               `agentTest.scoped({ env: {...} })`). startAgent(env, opts) starts more (replicas,
 *               restarts), all stopped after the test.
 *   streamTest  + a Redis client and a stream key (and group) unique to the test; the agent reads it.
 *   slackTest   + slack: a recording Slack Web API stand-in; harness: the Slack app (its own deps) on db;
 *               answer: runs `/sre TEXT` and returns what the agent answered.
 */

const LOCAL = new Set(['127.0.0.1', 'localhost', '[::1]']);
export type Msw = ReturnType<typeof setupServer>;
type StartOptions = Parameters<typeof createAgent>[1];
type Env = Record<string, string>;

export const pgTest = base.extend<{ db: TestDatabase }>({
  // eslint-disable-next-line no-empty-pattern
  db: async ({}, use) => {
    const db = await freshPostgres();
    try {
      await use(db);
    } finally {
      await db.dispose();
    }
  },
});

export interface AgentFixtures {
  /** The agent's environment (an option: `agentTest.scoped({ env })`). */
  env: Env;
  /** Environment a fixture adds under `env` (the stream's keys). */
  baseEnv: Env;
  /** Providers the simulated gateway reads as failing, as `unhealthy()` events say (an option). */
  failing: readonly string[];
  /** One clock every agent of the test shares (a workday clock that also keeps real time). */
  clock: TestClock;
  /** The admin-api twin every agent of the test shares, unless its env names an ADMIN_API_URL. */
  gateway: SimulatedGateway;
  msw: Msw;
  startAgent: (env?: Env, opts?: StartOptions) => Promise<RunningAgent>;
  agent: RunningAgent;
}

type AgentDeps = Pick<AgentFixtures, 'baseEnv' | 'env' | 'gateway' | 'clock' | 'msw'> & { db: TestDatabase };

/** Starts agents on the test's database and stops every one after the test. */
async function startAgents({ db, baseEnv, env, gateway, clock, msw }: AgentDeps, use: (v: AgentFixtures['startAgent']) => Promise<void>) {
  void msw; // listening before any agent starts
  const running: RunningAgent[] = [];
  await use(async (more = {}, opts = {}) => {
    const all = { ...baseEnv, ...env, ...more };
    // An agent given an ADMIN_API_URL talks HTTP to the test's own stand-in (failure shapes).
    const twin = all.ADMIN_API_URL ? {} : { gateway };
    const a = await start(db, all, { ...twin, clock, ...opts });
    let stopped: Promise<void> | undefined;
    const once = { ...a, stop: () => (stopped ??= a.stop()) };
    running.push(once);
    return once;
  });
  for (const a of running.reverse()) await a.stop();
}

const firstAgent = async ({ startAgent }: Pick<AgentFixtures, 'startAgent'>, use: (v: RunningAgent) => Promise<void>) => use(await startAgent());

export const agentTest = pgTest.extend<AgentFixtures & { mswServer: Msw }>({
  env: {},
  baseEnv: {},
  failing: [],
  clock: async ({}, use) => use(workdayClock()), // eslint-disable-line no-empty-pattern
  gateway: async ({ failing, clock }, use) => use(gatewayAgreeing(failing, clock)),
  mswServer: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const server = setupServer();
      server.listen({
        onUnhandledRequest(req, print) {
          if (!LOCAL.has(new URL(req.url).hostname)) print.error();
        },
      });
      await use(server);
      server.close();
    },
    { scope: 'file' },
  ],
  msw: async ({ mswServer }, use) => {
    await use(mswServer);
    mswServer.resetHandlers();
  },
  startAgent: startAgents,
  agent: firstAgent,
});

// vitest's extend: a test object made later from the same parent sees the fixtures an earlier
// one added, overrides included (slackTest made after streamTest had streamTest's baseEnv, so a
// Slack test's agent would have read a Redis stream). So slackTest, which overrides nothing, is
// made first; streamTest's overrides reach no one else. test/support/fixtures.test.ts holds it.
export interface SlackFixtures {
  /** Options of the Slack harness (an option: `slackTest.scoped({ harnessOptions })`). */
  harnessOptions: Parameters<typeof startHarness>[0];
  slack: SlackMock;
  harness: Harness;
  /** Runs `/sre TEXT` as `user` (the approver by default); what the agent answered through response_url, as one JSON string. */
  answer: (text: string, user?: string) => Promise<string>;
}

export const slackTest = agentTest.extend<SlackFixtures>({
  harnessOptions: {},
  slack: async ({ msw }, use) => use(mockSlack(msw)),
  harness: async ({ db, harnessOptions, slack }, use) => {
    void slack; // recording before the app's first call
    const h = await startHarness({ ...harnessOptions, db });
    try {
      await use(h);
    } finally {
      await h.close();
    }
  },
  answer: async ({ harness, slack }, use) =>
    use(async (text, user) => {
      const before = slack.hooks.length;
      const res = await slashCommand(harness, text, user);
      if (res.status !== 200) throw new Error(`/sre ${text}: HTTP ${res.status}`);
      await harness.slack.idle();
      return JSON.stringify(slack.hooks.slice(before).map((x) => x.body));
    }),
});

export interface StreamFixtures {
  /** A Redis stream key of this test alone (deleted after, with its dead-letter stream). */
  stream: string;
  group: string;
  redis: Awaited<ReturnType<typeof redis>>;
}

export const streamTest = agentTest.extend<StreamFixtures & Pick<AgentFixtures, 'baseEnv' | 'startAgent' | 'agent'>>({
  // eslint-disable-next-line no-empty-pattern
  stream: async ({}, use) => use(uniqueStream()),
  group: 'sre-agent',
  redis: async ({ stream }, use) => {
    const c = await redis();
    try {
      await use(c);
    } finally {
      await c.del([stream, `${stream}:dead`]);
      await c.close();
    }
  },
  baseEnv: async ({ stream, group }, use) => use({ REDIS_URL: TEST_REDIS_URL, SRE_EVENT_STREAM: stream, SRE_CONSUMER_GROUP: group }),
  // Registered again: vitest binds a fixture to the fixtures it names where it is defined.
  startAgent: startAgents,
  agent: firstAgent,
});
