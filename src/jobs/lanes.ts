import type { Catalog } from './catalog.js';
import { LANES, type Lane } from './kinds.js';
import type { JobDeps, JobRunner } from './runner.js';

export interface JobLane {
  readonly name: Lane;
  /** Claims up to a batch of its due jobs and runs them side by side; returns how many it claimed. */
  runOnce(): Promise<number>;
}

/**
 * One lane per kind of durable work (kinds.ts names each kind's), each with its own claim and pace:
 * a burst of expiries never waits behind escalations' pages, and none of them behind the model.
 * The reasoning lane is the bounded pool's (pool.ts), not one of these.
 */
export function createLanes<D extends JobDeps>(catalog: Catalog<D>, runner: JobRunner, batch = 20): JobLane[] {
  return LANES.filter((l) => l !== 'reasoning').map((name) => {
    const kinds = catalog.kindsOf(name);
    return {
      name,
      async runOnce() {
        const claimed = await runner.claim(kinds, batch);
        await Promise.all(claimed.map((row) => runner.run(row)));
        return claimed.length;
      },
    };
  });
}
