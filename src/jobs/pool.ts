import type { TimerHandle } from '../clock.js';
import type { Catalog } from './catalog.js';
import type { JobDeps, JobRow, JobRunner } from './runner.js';

export interface PoolOptions {
  runner: JobRunner;
  /** SRE_REASONING_CONCURRENCY: jobs of the lane run at once by this replica. */
  concurrency: number;
  /** SRE_REASONING_DEADLINE: counted from when the job became due, so queueing for a slot spends it too. */
  deadlineMs: number;
  /** After this long in a slot (counted from due), `onLate` is called, then every `lateEveryMs`. */
  lateAfterMs?: number;
  lateEveryMs?: number;
  onLate?: (row: JobRow) => Promise<void>;
  /** Called when a slot frees: the pool's loop claims the next job at once. */
  onSlotFree?: () => void;
  /** Gauge of the slots in use. */
  onInFlight?: (n: number) => void;
}

export interface JobPool {
  /** Claims work for the free slots only, oldest first, and starts it; returns how many it started. */
  fill(): Promise<number>;
  /** Fills and waits until nothing is due and nothing runs (tests, tick()). */
  drain(): Promise<void>;
  inFlight(): number;
  /** Resolves when every run in flight has finished. */
  idle(): Promise<void>;
}

interface Slot {
  done: Promise<void>;
  late?: TimerHandle;
}

/**
 * The reasoning lane as a bounded pool: a slow or hanging model holds at most `concurrency` slots,
 * and the other lanes never wait for it. Its jobs are keyed per incident, so one incident never
 * holds two slots.
 */
export function createPool<D extends JobDeps>(deps: D, catalog: Catalog<D>, opts: PoolOptions): JobPool {
  const kinds = catalog.kindsOf('reasoning');
  const slots = new Map<number, Slot>();
  let filling: Promise<number> | undefined;
  const gauge = () => opts.onInFlight?.(slots.size);

  function start(row: JobRow): void {
    const waited = Math.max(0, deps.clock.nowMs() - row.runAt.getTime());
    const deadline = deps.clock.nowMs() + opts.deadlineMs - waited;
    const slot: Slot = { done: Promise.resolve() };
    slots.set(row.id, slot);
    gauge();
    const late = () => {
      if (!slots.has(row.id)) return;
      void opts.onLate?.(row).catch((err: unknown) => deps.logger.warn({ err, job: row.key }, 'could not note late work'));
      slot.late = deps.clock.after(opts.lateEveryMs ?? 30_000, late);
    };
    if (opts.onLate && opts.lateAfterMs !== undefined) slot.late = deps.clock.after(Math.max(0, opts.lateAfterMs - waited), late);
    slot.done = opts.runner
      .run(row, { deadline })
      .then(
        () => undefined,
        (err: unknown) => deps.logger.error({ err, job: row.key }, 'pool slot failed'),
      )
      .finally(() => {
        slot.late?.cancel();
        slots.delete(row.id);
        gauge();
        opts.onSlotFree?.();
      });
  }

  async function fillNow(): Promise<number> {
    const free = opts.concurrency - slots.size;
    if (free <= 0) return 0;
    const claimed = await opts.runner.claim(kinds, free);
    for (const row of claimed) start(row);
    return claimed.length;
  }

  function fill(): Promise<number> {
    // One claim at a time, so two callers never claim the same free slots twice over.
    filling ??= fillNow().finally(() => {
      filling = undefined;
    });
    return filling;
  }

  async function idle(): Promise<void> {
    while (slots.size > 0) await Promise.all([...slots.values()].map((s) => s.done));
  }

  return {
    fill,
    async drain() {
      for (;;) {
        const started = await fill();
        if (slots.size === 0 && started === 0) return;
        if (started === 0 || slots.size >= opts.concurrency) await Promise.race([...slots.values()].map((s) => s.done));
      }
    },
    inFlight: () => slots.size,
    idle,
  };
}
