import { eq } from 'drizzle-orm';
import type { TimerHandle } from '../clock.js';
import { schema } from '../db/client.js';
import { REASONING_LATE_AFTER_MS } from '../domain/lateness.js';
import { enqueueNotification } from './outbox.js';
import { propose } from './propose.js';
import type { TimerRow, TimerRunner } from './timers.js';
import type { ServiceDeps } from './types.js';

/** When the incident card first says "reasoning, N s so far", then how often it says it again. */
export const LATE_AFTER_MS = REASONING_LATE_AFTER_MS;
export const LATE_EVERY_MS = 30_000;

export interface ReasoningPoolOptions {
  runner: TimerRunner;
  /** SRE_REASONING_CONCURRENCY: incidents reasoned about at once by this replica. */
  concurrency: number;
  /** SRE_REASONING_DEADLINE: counted from when the incident became due, so queueing for a slot spends it too. */
  deadlineMs: number;
  lateAfterMs?: number;
  lateEveryMs?: number;
  /** Called when a slot frees: the pool's loop claims the next incident at once. */
  onSlotFree?: () => void;
}

export interface ReasoningPool {
  /** Claims `propose` work for the free slots only, oldest first, and starts it; returns how many it started. */
  fill(): Promise<number>;
  /** Fills and waits until nothing is due and nothing runs (tests, tick()). */
  drain(): Promise<void>;
  inFlight(): number;
  /** Resolves when every run in flight has finished. */
  idle(): Promise<void>;
}

interface Slot {
  incidentId: string;
  done: Promise<void>;
  late?: TimerHandle;
}

/**
 * A bounded reasoning pool: a slow or hanging model holds at most `concurrency` slots, and the
 * other lanes (expiry, escalation, the outbox) never wait for it. `propose` timers are keyed per
 * incident (`propose:<id>`), so one incident never holds two slots.
 */
export function createReasoningPool(deps: ServiceDeps, opts: ReasoningPoolOptions): ReasoningPool {
  const slots = new Map<number, Slot>();
  const lateAfter = opts.lateAfterMs ?? LATE_AFTER_MS;
  const lateEvery = opts.lateEveryMs ?? LATE_EVERY_MS;
  let filling: Promise<number> | undefined;

  const gauge = () => deps.metrics?.reasoningInFlight.set(slots.size);

  async function sayLate(incidentId: string): Promise<void> {
    // Re-renders the incident summary, which now says how long reasoning has taken (domain/lateness.ts).
    await deps.db.transaction((tx) => enqueueNotification(tx, deps.channels, 'incident.updated', { incidentId }, { reason: 'reasoning_late' }));
    deps.poke?.();
  }

  async function reason(t: TimerRow, incidentId: string, deadline: number): Promise<void> {
    const view = await propose(deps, { incidentId, deadline });
    if (!view || !deps.metrics) return;
    const [inc] = await deps.db.select({ openedAt: schema.incidents.openedAt }).from(schema.incidents).where(eq(schema.incidents.id, incidentId));
    // Now, not view.created_at: a proposal's created_at is stamped when reasoning began.
    if (inc) deps.metrics.incidentToProposal.observe(Math.max(0, deps.clock.now().getTime() - inc.openedAt.getTime()) / 1000);
    deps.logger.debug({ incident_id: incidentId, timer: t.key }, 'reasoning slot done');
  }

  function start(t: TimerRow): void {
    const incidentId = String(t.payload.incident_id);
    const waited = Math.max(0, deps.clock.now().getTime() - t.runAt.getTime());
    const deadline = deps.clock.nowMs() + opts.deadlineMs - waited;
    const slot: Slot = { incidentId, done: Promise.resolve() };
    slots.set(t.id, slot);
    gauge();
    const late = () => {
      if (!slots.has(t.id)) return;
      void sayLate(incidentId).catch((err: unknown) => deps.logger.warn({ err, incident_id: incidentId }, 'could not note late reasoning'));
      slot.late = deps.clock.after(lateEvery, late);
    };
    slot.late = deps.clock.after(Math.max(0, lateAfter - waited), late);
    slot.done = opts.runner
      .run(t, () => reason(t, incidentId, deadline))
      .then(
        () => undefined,
        (err: unknown) => deps.logger.error({ err, incident_id: incidentId }, 'reasoning slot failed'),
      )
      .finally(() => {
        slot.late?.cancel();
        slots.delete(t.id);
        gauge();
        opts.onSlotFree?.();
      });
  }

  async function fillNow(): Promise<number> {
    const free = opts.concurrency - slots.size;
    if (free <= 0) return 0;
    const claimed = await opts.runner.claim({ kinds: ['propose'] }, free);
    for (const t of claimed) start(t);
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
