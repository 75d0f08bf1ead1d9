import { runTimer, type KindFilter, type TimerHandler, type TimerRunner } from './timers.js';
import type { ServiceDeps } from './types.js';

/** The timer kinds with a lane of their own; `propose` belongs to the reasoning pool. */
export const TIMER_LANES = ['expire', 'escalate', 'restore', 'retention'] as const;

export interface TimerLane {
  readonly name: string;
  /** Claims up to a batch of its due timers and runs them side by side; returns how many it claimed. */
  runOnce(): Promise<number>;
}

/**
 * One lane per kind of durable work, each with its own claim and pace: a burst of expiries never
 * waits behind escalations' pages, and none of them behind the model.
 */
export function createTimerLanes(deps: ServiceDeps, runner: TimerRunner, handlers: Record<string, TimerHandler>, batch = 20): TimerLane[] {
  const lane = (name: string, filter: KindFilter): TimerLane => ({
    name,
    async runOnce() {
      const claimed = await runner.claim(filter, batch);
      await Promise.all(claimed.map((t) => runTimer(deps, runner, handlers, t)));
      return claimed.length;
    },
  });
  // Kinds added later (or unknown ones, which fail and back off) share one lane.
  return [...TIMER_LANES.map((k) => lane(k, { kinds: [k] })), lane('other', { exceptKinds: ['propose', ...TIMER_LANES] })];
}
