import { inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import { wakeable, type Clock } from '../clock.js';
import { schema, type Db } from '../db/client.js';
import { enqueue, job } from './enqueue.js';
import { JOB_KINDS, type JobKindName } from './kinds.js';
import type { JobLane } from './lanes.js';
import type { JobPool } from './pool.js';

/** The outbox's side of the loops: one delivery pass, and when a paced row comes due. */
export interface OutboxWorker {
  runOnce(): Promise<number>;
  nextWakeInMs(): number | undefined;
}

export interface WorkersOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  lanes: readonly JobLane[];
  pool: JobPool;
  outbox: OutboxWorker;
  /** Pause between passes of a loop that found nothing (a commit wakes every loop at once). */
  loopMs: number;
}

export interface Workers {
  start(): Promise<void>;
  /** Ends the loops after their pass in flight, then waits for the pool's runs, at most `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Wakes every loop now: durable work was just committed. */
  wake(): void;
  /** Wakes the reasoning pool's loop only (a slot freed). */
  wakeReasoning(): void;
  /** One pass of all the background work, recurring jobs included (tests, one-shot tools). */
  tick(): Promise<void>;
}

const RECURRING = (Object.keys(JOB_KINDS) as JobKindName[]).filter((k) => (JOB_KINDS[k] as { everyMs?: number }).everyMs !== undefined);

/**
 * One loop a lane: a slow model holds only the reasoning pool's slots, never expiry, escalation,
 * restore, retention, maintenance or the outbox, and none of those holds up another.
 */
export function createWorkers(opts: WorkersOptions): Workers {
  const pauses = wakeable(opts.clock);
  const reasoningPause = wakeable(opts.clock);
  const loops: Promise<void>[] = [];
  let stopping = false;

  async function loop(name: string, work: () => Promise<unknown>, pauseMs: () => number, pause = pauses): Promise<void> {
    while (!stopping) {
      try {
        await work();
      } catch (e) {
        opts.logger.error({ err: e, loop: name }, 'background work failed; retrying');
      }
      if (stopping) break;
      await pause.sleep(pauseMs());
    }
  }

  /** Recurring jobs exist once (their key is their kind) and are due now. */
  async function armRecurring(due: boolean): Promise<void> {
    const now = opts.clock.now();
    // One statement (one transaction) a kind: two replicas starting together each hold one key at a
    // time, where a multi-row upsert could hold one key while waiting for the other's (a deadlock).
    for (const k of RECURRING) await enqueue(opts.db, job(k, k, now, {}), { rearm: true });
    if (due) await opts.db.update(schema.timers).set({ runAt: now }).where(inArray(schema.timers.key, RECURRING));
  }

  const wake = () => {
    pauses.wake();
    reasoningPause.wake();
  };

  return {
    async start() {
      await armRecurring(false);
      if (opts.loopMs <= 0) return;
      const every = () => opts.loopMs;
      loops.push(loop('reasoning', () => opts.pool.fill(), every, reasoningPause));
      for (const lane of opts.lanes) loops.push(loop(`jobs:${lane.name}`, () => lane.runOnce(), every));
      loops.push(loop('outbox', () => opts.outbox.runOnce(), () => Math.min(opts.loopMs, opts.outbox.nextWakeInMs() ?? opts.loopMs)));
    },
    async stop(graceMs = Number.POSITIVE_INFINITY) {
      stopping = true;
      wake();
      await Promise.all(loops);
      // Runs in flight may record their results within the grace; what still runs after it is
      // handed back by the caller (its leases), for a peer to take now.
      const ac = new AbortController();
      await Promise.race([opts.pool.idle(), Number.isFinite(graceMs) ? opts.clock.sleep(graceMs, ac.signal) : new Promise<void>(() => undefined)]);
      ac.abort();
    },
    wake,
    wakeReasoning: () => reasoningPause.wake(),
    async tick() {
      await armRecurring(true);
      // Maintenance last: reconciliation must not mistake this pass's executions in flight for crashed ones.
      const maintenance = opts.lanes.filter((l) => l.name === 'maintenance');
      await Promise.all(opts.lanes.filter((l) => l.name !== 'maintenance').map((l) => l.runOnce()));
      await opts.pool.drain();
      await opts.outbox.runOnce();
      for (const l of maintenance) await l.runOnce();
      await opts.pool.drain();
    },
  };
}
