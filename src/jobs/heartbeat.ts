import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.js';
import type { HeartbeatStore } from './heartbeat-stores.js';

export { heartbeatKeys, postgresHeartbeats, redisHeartbeats, type HeartbeatStore } from './heartbeat-stores.js';

export interface HeartbeatOptions {
  /** The replica's name (SRE_CONSUMER_NAME, else host-pid): the stream consumer's and the lease holder's. */
  name: string;
  /** SRE_HEARTBEAT_TTL: a heartbeat not renewed within it is gone, and the replica with it. */
  ttlMs: number;
  /** The timers that beat; a busy event loop still runs them, so a slow handler never stops the heartbeat. */
  clock: Clock;
  logger: Logger;
  /** Redis where it is configured, else PostgreSQL. */
  primary: HeartbeatStore;
  /** Written when a beat on the primary fails (Redis unreachable): PostgreSQL. */
  fallback?: HeartbeatStore | undefined;
}

export interface Heartbeat {
  readonly name: string;
  readonly ttlMs: number;
  /** The first beat (awaited, so this replica is known before it takes work), then one every third of the TTL. */
  start(): Promise<void>;
  /** A clean stop: the heartbeat removed, so peers need not wait it out (its work was handed back). */
  stop(): Promise<void>;
  /**
   * Whether this replica may judge others: its own last beat went to the primary store within the
   * TTL. A replica whose own write failed (Redis unreachable, or it was paused) declares nobody dead.
   */
  fresh(): boolean;
  /** Replicas registered whose heartbeat is gone from every store (never this one), and how many are alive; undefined when it cannot tell. */
  survey(): Promise<{ gone: string[]; alive: number } | undefined>;
  /** Unregisters a replica whose work was taken over, while its heartbeat is still gone. */
  forget(name: string): Promise<boolean>;
  /** Called when this replica finds its own heartbeat had lapsed (it was paused past the TTL): peers may have taken its work. */
  onLapse(fn: () => void): void;
  /** One beat now; resolves with whether it was written (tests, and the timer). */
  beat(): Promise<boolean>;
  /** Calls `fn` once, after the next beat written. */
  afterNextBeat(fn: () => void): void;
}

/** Each store call is bounded: a hung connection must fail the beat (and fall back) within the TTL. */
function within<T>(clock: Clock, ms: number, p: Promise<T>): Promise<T> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = clock.after(ms, () => reject(new Error(`heartbeat store did not answer within ${ms} ms`)))));
  return Promise.race([p, timeout]).finally(() => timer?.cancel());
}

/** Registered replicas whose heartbeat is gone from every store (never `name`), and how many are alive. */
async function survey(o: { name: string; clock: Clock; callMs: number; primary: HeartbeatStore; fallback: HeartbeatStore | undefined }): Promise<{ gone: string[]; alive: number }> {
  const members = await within(o.clock, o.callMs, o.primary.members());
  const missing = members.filter((m) => !m.alive && m.name !== o.name).map((m) => m.name);
  // Alive on the fallback (its Redis cut off, writing to PostgreSQL meanwhile): not gone.
  const elsewhere = o.fallback && missing.length > 0 ? await within(o.clock, o.callMs, o.fallback.aliveOf(missing)) : new Set<string>();
  const gone = missing.filter((n) => !elsewhere.has(n));
  return { gone, alive: members.length - gone.length };
}

export function createHeartbeat(opts: HeartbeatOptions): Heartbeat {
  const { name, ttlMs, clock, logger, primary, fallback } = opts;
  const log = logger.child({ part: 'heartbeat', replica: name });
  const callMs = Math.max(100, Math.floor(ttlMs / 3));
  const lapseListeners: (() => void)[] = [];
  let lastOk: { at: number; store: HeartbeatStore['kind'] } | undefined;
  let beating: Promise<boolean> | undefined;
  let timer: TimerHandle | undefined;
  let failingSince: number | undefined;
  let stopped = false;
  const beatListeners: (() => void)[] = [];

  /**
   * One beat on `store`, bounded by callMs (a hung connection fails it, so the fallback is tried in
   * time). `io` is the store's own call: the next beat is armed only once it settled, so a clock
   * moved far ahead at once (a test's advance) does not run a beat for every period it skipped.
   */
  async function beatOn(store: HeartbeatStore, io: Promise<unknown>[]): Promise<void> {
    const before = lastOk;
    const call = store.beat(name, ttlMs);
    io.push(call.catch(() => undefined));
    const wasAlive = await within(clock, callMs, call);
    const now = clock.nowMs();
    lastOk = { at: now, store: store.kind };
    for (const fn of beatListeners.splice(0)) fn();
    // Gone from the store we last wrote to, or silent longer than the TTL: peers may have taken our work.
    if (before && !wasAlive && (before.store === store.kind || now - before.at > ttlMs)) {
      log.warn({ silent_ms: now - before.at, ttl_ms: ttlMs, store: store.kind }, "this replica's heartbeat had lapsed (paused or cut off past the TTL); work a peer took over is dropped");
      for (const fn of lapseListeners) fn();
    }
  }

  async function beatNow(io: Promise<unknown>[]): Promise<boolean> {
    try {
      await beatOn(primary, io);
      if (failingSince !== undefined) log.info({ store: primary.kind, failed_ms: clock.nowMs() - failingSince }, 'heartbeat written again');
      failingSince = undefined;
      return true;
    } catch (err) {
      if (failingSince === undefined) {
        failingSince = clock.nowMs();
        log.warn({ err: String(err), store: primary.kind, fallback: fallback?.kind ?? null }, fallback ? 'heartbeat failed; writing it to the fallback store meanwhile' : 'heartbeat failed; this replica judges no peer until it is written again');
      }
      if (!fallback) return false;
      try {
        await beatOn(fallback, io);
        return true;
      } catch {
        return false;
      }
    }
  }

  /** Beats, then waits until the stores' calls it made settled (see beatOn). */
  async function beatAndSettle(): Promise<boolean> {
    const io: Promise<unknown>[] = [];
    const ok = await beatNow(io);
    // A primary call that hangs is not waited for when the fallback answered.
    await (ok && lastOk?.store === fallback?.kind ? io[io.length - 1] : Promise.all(io));
    return ok;
  }

  const beat = () => (beating ??= beatAndSettle().finally(() => (beating = undefined)));
  const arm = () => {
    if (stopped) return;
    timer = clock.after(Math.max(50, Math.floor(ttlMs / 3)), () => void beat().finally(arm));
  };

  return {
    name,
    ttlMs,
    async start() {
      stopped = false;
      await beat();
      if (!timer) arm();
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      timer = undefined;
      await beating;
      await Promise.all([primary, ...(fallback ? [fallback] : [])].map((s) => within(clock, callMs, s.remove(name)).catch(() => undefined)));
      await Promise.all([primary.close(), fallback?.close()]);
    },
    fresh: () => lastOk !== undefined && lastOk.store === primary.kind && clock.nowMs() - lastOk.at < ttlMs,
    survey: () => survey({ name, clock, callMs, primary, fallback }).catch((err: unknown) => {
      log.debug({ err: String(err) }, 'could not read the heartbeats; judging nobody this time');
      return undefined;
    }),
    async forget(gone) {
      const [a, b] = await Promise.all([within(clock, callMs, primary.forget(gone)), fallback ? within(clock, callMs, fallback.forget(gone)).catch(() => false) : false]);
      return a || b;
    },
    onLapse: (fn) => void lapseListeners.push(fn),
    afterNextBeat: (fn) => void beatListeners.push(fn),
    beat,
  };
}
