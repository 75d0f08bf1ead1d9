import { systemClock, type Clock, type TimerHandle } from '../../src/clock.js';

/**
 * The test twin of src/clock.ts. Time moves only when a test says so (`advance`, `set`), firing
 * every timer and sleep that comes due on the way, in order; or, with `realTime`, also with the
 * wall clock (for tests whose other party keeps real time: PostgreSQL's lease clock, Redis's idle
 * times, a stand-in that answers after 200 ms). Either way `advance` jumps ahead at once.
 */
export interface TestClock extends Clock {
  /** Moves time forward, running what comes due on the way in order, each with its microtasks settled. */
  advance(ms: number): Promise<void>;
  /** Moves time to `at` (never backwards). */
  set(at: Date | number): Promise<void>;
  /** Timers and sleeps waiting on this clock now. */
  waiting(): number;
  /** Resolves once at least `n` timers or sleeps wait on this clock (a loop reached its pause). */
  untilWaiting(n?: number): Promise<void>;
}

interface Entry {
  id: number;
  due: number;
  every?: number;
  fn: () => void;
  real?: ReturnType<typeof setTimeout>;
}

const settle = async () => {
  // Enough turns for a chain of awaits behind a fired timer to run before the next one fires.
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((r) => setImmediate(r));
};

export function createTestClock(opts: { start?: Date | number; realTime?: boolean; origin?: number } = {}): TestClock {
  const start = opts.start === undefined ? WORKDAY_START : typeof opts.start === 'number' ? opts.start : opts.start.getTime();
  const origin = opts.origin ?? Date.now();
  let offset = 0;
  let seq = 0;
  const entries = new Map<number, Entry>();
  const watchers: { n: number; resolve: () => void }[] = [];

  const nowMs = () => start + offset + (opts.realTime ? Date.now() - origin : 0);

  function notifyWatchers() {
    for (const w of [...watchers]) {
      if (entries.size >= w.n) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  function arm(e: Entry) {
    entries.set(e.id, e);
    if (opts.realTime) {
      const ms = Math.max(0, e.due - nowMs());
      e.real = setTimeout(() => fire(e), ms);
      e.real.unref?.();
    }
    notifyWatchers();
  }

  function cancel(id: number) {
    const e = entries.get(id);
    if (!e) return;
    if (e.real) clearTimeout(e.real);
    entries.delete(id);
  }

  function fire(e: Entry) {
    if (!entries.has(e.id)) return;
    if (e.real) clearTimeout(e.real);
    entries.delete(e.id);
    if (e.every !== undefined) arm({ ...e, due: e.due + e.every, real: undefined });
    e.fn();
  }

  function schedule(ms: number, fn: () => void, every?: number): TimerHandle {
    const e: Entry = { id: ++seq, due: nowMs() + Math.max(0, ms), fn, ...(every !== undefined ? { every: Math.max(1, every) } : {}) };
    arm(e);
    return { cancel: () => cancel(e.id) };
  }

  async function moveTo(target: number) {
    for (;;) {
      const next = [...entries.values()].filter((e) => e.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      if (next.due > nowMs()) offset += next.due - nowMs();
      fire(next);
      await settle();
    }
    if (target > nowMs()) offset += target - nowMs();
    await settle();
  }

  return {
    now: () => new Date(nowMs()),
    nowMs,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const h = schedule(ms, () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        const onAbort = () => {
          h.cancel();
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    after: (ms, fn) => schedule(ms, fn),
    every: (ms, fn) => schedule(ms, fn, ms),
    advance: (ms) => moveTo(nowMs() + Math.max(0, ms)),
    set: (at) => moveTo(Math.max(nowMs(), typeof at === 'number' ? at : at.getTime())),
    waiting: () => entries.size,
    untilWaiting(n = 1) {
      if (entries.size >= n) return Promise.resolve();
      return new Promise<void>((resolve) => watchers.push({ n, resolve }));
    },
  };
}

/**
 * Tests that score risk start on a fixed Tuesday at 10:00 UTC (business hours, so the time-of-day
 * factor adds nothing): a run at 19:00 or on a Sunday scores the same.
 */
export const WORKDAY_START = Date.UTC(2026, 10, 24, 10, 0, 0);
const ORIGIN = Date.now();

/**
 * A workday clock that also keeps real time, for agents whose peers do (PostgreSQL's lease clock,
 * Redis). Every such clock in one test file shares one origin, as replicas share wall time: an
 * agent started later is not behind one started earlier.
 */
export function workdayClock(start = WORKDAY_START): TestClock {
  return createTestClock({ start, realTime: true, origin: ORIGIN });
}

/**
 * A clock whose time a test sets by assignment (`let at = …; readingClock(() => at)`); its timers
 * and sleeps keep real time. For tests that only move time between steps they drive themselves.
 */
export function readingClock(read: () => Date | number): Clock {
  const ms = () => {
    const v = read();
    return typeof v === 'number' ? v : v.getTime();
  };
  return { ...systemClock, now: () => new Date(ms()), nowMs: ms };
}
