import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.js';
import type { Db } from '../db/client.js';
import type { Heartbeat } from './heartbeat.js';
import { releaseLeases, type QueueName } from './lease.js';

/** Why work changed hands: a heartbeat gone, a lease run out, a stream entry left idle past the claim idle. */
export type TakeoverCause = 'heartbeat' | 'lease_expired' | 'stream_idle';

/** The caller's metrics (jobs/ imports none). */
export interface TakeoverMetrics {
  replicasAlive: { set(n: number): void };
  takeovers: { inc(labels: { cause: TakeoverCause }, n?: number): void };
}

export interface TakeoverOptions {
  heartbeat: Heartbeat;
  db: Db;
  clock: Clock;
  logger: Logger;
  /** How often the heartbeats are looked at; default a sixth of the TTL. */
  everyMs?: number;
  /**
   * The stream's side (ingest/): claims a dead consumer's pending entries for this replica at once
   * and removes it from the group once its list is empty; resolves with how many it claimed and
   * whether it is removed (false: more to claim next pass).
   */
  stream?: ((gone: string) => Promise<{ claimed: number; removed: boolean }>) | undefined;
  metrics?: TakeoverMetrics | undefined;
  /** Work was released or claimed: the loops should look now. */
  onTakenOver?: () => void;
}

export interface Takeover {
  start(): void;
  stop(): Promise<void>;
  /** One look at the heartbeats and the takeover of every replica found gone (the timer, and tests). */
  pass(): Promise<string[]>;
}

/**
 * A dead replica's leases, released at once (not waited out) for any replica to claim: only the
 * rows still leased to it, and only while its PostgreSQL heartbeat (when it has one) is not live,
 * so a replica that came back keeps what it renewed. Its attempt stays counted: work that kills
 * replicas still ends up dead. Returns how many rows of each queue.
 */
export async function releaseLeasesOf(db: Db, holder: string): Promise<Record<QueueName, number>> {
  return releaseLeases(db, holder, () => sql`not exists (select 1 from replica_heartbeats h where h.name = ${holder} and h.expires_at > now())`);
}

/**
 * Liveness, not idle time: every pass reads the heartbeats, and a replica whose heartbeat is gone
 * has its stream entries claimed and its leases released at once. Only a replica whose own
 * heartbeat is fresh judges (one cut off from Redis, or just resumed from a pause, judges nobody).
 */
export function createTakeover(opts: TakeoverOptions): Takeover {
  const { heartbeat, db, clock, logger } = opts;
  const log = logger.child({ part: 'takeover', replica: heartbeat.name });
  let timer: TimerHandle | undefined;
  let running: Promise<string[]> | undefined;
  let stopped = false;
  const counted = new Set<string>();

  async function takeOver(gone: string): Promise<boolean> {
    const stream = opts.stream ? await opts.stream(gone) : { claimed: 0, removed: true };
    const leases = await releaseLeasesOf(db, gone);
    const moved = stream.claimed + leases.timer + leases.outbox;
    if (moved > 0 || !counted.has(gone)) {
      if (!counted.has(gone)) opts.metrics?.takeovers.inc({ cause: 'heartbeat' });
      counted.add(gone);
      log.warn({ gone, stream_entries: stream.claimed, timers: leases.timer, outbox: leases.outbox }, "took over the work of a replica whose heartbeat is gone");
    }
    if (moved > 0) opts.onTakenOver?.();
    if (!stream.removed) return false;
    if (await heartbeat.forget(gone)) counted.delete(gone);
    return true;
  }

  async function passNow(): Promise<string[]> {
    if (!heartbeat.fresh()) return [];
    const seen = await heartbeat.survey();
    if (!seen) return [];
    opts.metrics?.replicasAlive.set(seen.alive);
    const done: string[] = [];
    for (const gone of seen.gone) {
      // Our own heartbeat must still be fresh for each judgement (a pass can be slow).
      if (!heartbeat.fresh()) break;
      try {
        await takeOver(gone);
        done.push(gone);
      } catch (err) {
        log.warn({ gone, err: String(err) }, 'could not take over a replica whose heartbeat is gone; trying again next pass');
      }
    }
    return done;
  }

  const pass = () => (running ??= passNow().finally(() => (running = undefined)));

  return {
    start() {
      const every = opts.everyMs ?? Math.max(50, Math.floor(heartbeat.ttlMs / 6));
      stopped = false;
      // The next pass is armed after this one; while this replica's own heartbeat is not fresh it
      // waits for its next beat (nothing to judge meanwhile, and a clock moved far ahead at once
      // does not run a pass for every period it skipped).
      const arm = () => {
        if (stopped) return;
        if (!heartbeat.fresh()) return heartbeat.afterNextBeat(arm);
        timer = clock.after(every, () => void pass().catch((err: unknown) => log.warn({ err: String(err) }, 'takeover pass failed')).finally(arm));
      };
      if (!timer) arm();
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      timer = undefined;
      await running?.catch(() => undefined);
    },
    pass,
  };
}
