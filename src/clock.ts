/**
 * Time as a port (ARCHITECTURE.md, "One clock"). Every loop, lease renewal, deadline, pacer and
 * timestamp the code decides takes the Clock it is given; only `systemClock` reads the wall clock.
 * Tests hand in a test clock (test/support/clock.ts) and move it with `advance()` instead of sleeping.
 *
 * Columns the database stamps are the exception, and are named as such: lease ends
 * (`clock_timestamp()`, so replicas whose clocks disagree still agree when a lease ends), the audit
 * trail's `occurred_at` (the chain trigger: the order rows were appended in) and the `DEFAULT now()`
 * of receipt-like columns nothing is scheduled by (`slack_receipts.received_at`,
 * `slack_messages.posted_at`, `decision_links.created_at`). Every time something is compared with
 * to decide (a job's `run_at`, an outbox row's `next_attempt_at`, an event's `received_at`, an
 * incident's `opened_at`) is written from the Clock, because the comparison uses the Clock.
 */

/** A scheduled callback; `cancel()` is idempotent. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /** The same instant as `now()`, in epoch milliseconds. */
  nowMs(): number;
  /** Resolves after `ms` of this clock's time, or at once (without error) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` once after `ms`. Never keeps the process alive on its own. */
  after(ms: number, fn: () => void): TimerHandle;
  /** Calls `fn` every `ms` until cancelled. Never keeps the process alive on its own. */
  every(ms: number, fn: () => void): TimerHandle;
}

/** The one place that reads the wall clock. */
export const systemClock: Clock = {
  now: () => new Date(),
  nowMs: () => Date.now(),
  sleep(ms, signal) {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    });
  },
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  every(ms, fn) {
    const t = setInterval(fn, Math.max(1, ms));
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
};

/** A sleep that a wake-up cuts short: a loop's pause between passes, ended early by a commit. */
export interface Wakeable {
  /** Sleeps up to `ms`; resolves early when `wake()` is called meanwhile. */
  sleep(ms: number): Promise<void>;
  wake(): void;
}

export function wakeable(clock: Clock): Wakeable {
  const sleepers = new Set<AbortController>();
  return {
    async sleep(ms) {
      const ac = new AbortController();
      sleepers.add(ac);
      try {
        await clock.sleep(ms, ac.signal);
      } finally {
        sleepers.delete(ac);
      }
    },
    wake() {
      for (const ac of [...sleepers]) ac.abort();
    },
  };
}
