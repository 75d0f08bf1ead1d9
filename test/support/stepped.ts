import type { Clock } from '../../src/clock.js';
import type { createAgent } from '../../src/main.js';
import { startAgent as start, type RunningAgent } from './agent.js';
import { WORKDAY_START, readingClock } from './clock.js';
import { pgTest } from './fixtures.js';

/**
 * For tests that drive every step themselves and count each duration by hand: the test's time moves
 * only when the test moves it, between its steps.
 *
 *   steppedTest  db (pgTest) + time: `time.at` (ms, from WORKDAY_START), moved by assignment
 *                (`time.at += 40_000`), and time.clock, which reads it (its timers and sleeps keep
 *                real time); startStepped(env, opts): an agent on db reading time.clock, every
 *                one stopped after the test (stopping one before is fine).
 *
 * Not named startAgent: in vitest 3.2 `pgTest.extend` here also carries agentTest's, streamTest's
 * and slackTest's fixtures (extend adds to the context it was called on), and a test that names a
 * fixture defined twice sets up both (agentTest's would start its own msw server).
 */

export interface SteppedTime {
  at: number;
  readonly clock: Clock;
}

export interface SteppedFixtures {
  time: SteppedTime;
  startStepped: (env?: Record<string, string>, opts?: Parameters<typeof createAgent>[1]) => Promise<RunningAgent>;
}

export const steppedTest = pgTest.extend<SteppedFixtures>({
  // eslint-disable-next-line no-empty-pattern
  time: async ({}, use) => {
    const t: SteppedTime = { at: WORKDAY_START, clock: readingClock(() => t.at) };
    await use(t);
  },
  startStepped: async ({ db, time }, use) => {
    const stops: (() => Promise<void>)[] = [];
    await use(async (env = {}, opts = {}) => {
      const a = await start(db, env, { clock: time.clock, ...opts });
      let stopped: Promise<void> | undefined;
      const stop = () => (stopped ??= a.stop());
      stops.push(stop);
      return { ...a, stop };
    });
    for (const stop of stops.reverse()) await stop();
  },
});
