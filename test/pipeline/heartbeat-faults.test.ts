import { describe, expect } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { createHeartbeat, heartbeatKeys, postgresHeartbeats, redisHeartbeats, type HeartbeatStore } from '../../src/jobs/heartbeat.js';
import { createTakeover } from '../../src/jobs/takeover.js';
import { createMetrics } from '../../src/metrics.js';
import { redis, uniqueStream } from '../ingest/stream/support.js';
import { silent } from '../notify/fixtures.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { eventually } from '../support/eventually.js';
import { pgTest as test } from '../support/fixtures.js';

/** A Redis store that fails every call while `down` (Redis unreachable from this replica). */
function cutOff(store: HeartbeatStore): HeartbeatStore & { down: boolean } {
  const failing = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    if (s.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    return fn(...a);
  };
  const s = {
    down: false,
    kind: store.kind,
    beat: failing(store.beat),
    members: failing(store.members),
    aliveOf: failing(store.aliveOf),
    forget: failing(store.forget),
    remove: failing(store.remove),
    close: () => store.close(),
  };
  return s;
}

const TTL = 1_000;

describe('heartbeats while Redis is unreachable', () => {
  test('for one replica: it beats into PostgreSQL meanwhile and judges nobody; its peer does not take it for dead', async ({ db }) => {
    const stream = uniqueStream();
    const r = await redis();
    const metrics = createMetrics({ defaultMetrics: false });
    const mk = (name: string, primary: HeartbeatStore) => createHeartbeat({ name, ttlMs: TTL, clock: systemClock, logger: silent, primary, fallback: postgresHeartbeats(db.db) });
    const aRedis = cutOff(redisHeartbeats({ redisUrl: TEST_REDIS_URL, stream, group: 'g' }));
    const a = mk('replica-a', aRedis);
    const b = mk('replica-b', redisHeartbeats({ redisUrl: TEST_REDIS_URL, stream, group: 'g' }));
    let lapses = 0;
    a.onLapse(() => lapses++);
    await a.start();
    await b.start();
    const takeoverA = createTakeover({ heartbeat: a, db: db.db, clock: systemClock, logger: silent });
    const takeoverB = createTakeover({ heartbeat: b, db: db.db, clock: systemClock, logger: silent, metrics });
    try {
      aRedis.down = true;
      // replica-a's Redis key runs out: only its PostgreSQL heartbeat says it lives.
      await eventually(async () => (await r.exists(heartbeatKeys(stream, 'g').key('replica-a'))) === 0, { what: "replica-a's Redis key to expire", timeoutMs: 10_000 });
      const judged: string[][] = [];
      // Five passes of each replica over two TTLs of the outage: nobody declared dead.
      await eventually(async () => {
        judged.push(await takeoverB.pass(), await takeoverA.pass());
        return judged.length >= 10 && (await postgresHeartbeats(db.db).aliveOf(['replica-a'])).has('replica-a');
      }, { what: 'passes of both replicas during the outage', timeoutMs: 10_000, everyMs: 2 * TTL / 5 });
      expect(judged.flat()).toEqual([]);
      expect(a.fresh()).toBe(false);
      expect(b.fresh()).toBe(true);

      // Redis is back for replica-a: its key again, no lapse, and still nobody taken over.
      aRedis.down = false;
      await eventually(async () => (await r.exists(heartbeatKeys(stream, 'g').key('replica-a'))) === 1, { what: "replica-a's Redis key again", timeoutMs: 10_000 });
      expect(await takeoverB.pass()).toEqual([]);
      expect(lapses).toBe(0);
      expect(await metrics.registry.getSingleMetricAsString('sre_takeovers_total')).not.toMatch(/cause="heartbeat"} [1-9]/);
    } finally {
      aRedis.down = false;
      await takeoverA.stop();
      await takeoverB.stop();
      await a.stop();
      await b.stop();
      await r.del([`${stream}:g:replicas`]);
      await r.close();
    }
  });

  test('for every replica: each falls back to PostgreSQL and none declares the others dead', async ({ db }) => {
    const stream = uniqueStream();
    const r = await redis();
    const stores = ['replica-a', 'replica-b', 'replica-c'].map((name) => ({ name, redis: cutOff(redisHeartbeats({ redisUrl: TEST_REDIS_URL, stream, group: 'g' })) }));
    const beats = stores.map((s) => createHeartbeat({ name: s.name, ttlMs: TTL, clock: systemClock, logger: silent, primary: s.redis, fallback: postgresHeartbeats(db.db) }));
    for (const hb of beats) await hb.start();
    const takeovers = beats.map((hb) => createTakeover({ heartbeat: hb, db: db.db, clock: systemClock, logger: silent }));
    try {
      for (const s of stores) s.redis.down = true;
      const keys = stores.map((s) => heartbeatKeys(stream, 'g').key(s.name));
      const judged: string[] = [];
      let passes = 0;
      // Through the outage until every Redis key has run out, then five passes more each: nobody judged.
      let allGoneAt: number | undefined;
      await eventually(async () => {
        for (const t of takeovers) judged.push(...(await t.pass()));
        passes++;
        if (allGoneAt === undefined && (await r.exists(keys)) === 0) allGoneAt = passes;
        return allGoneAt !== undefined && passes >= allGoneAt + 5;
      }, { what: 'passes through the outage', timeoutMs: 20_000, everyMs: TTL / 4 });
      expect(judged).toEqual([]);
      expect([...(await postgresHeartbeats(db.db).aliveOf(stores.map((s) => s.name)))].sort()).toEqual(['replica-a', 'replica-b', 'replica-c']);
    } finally {
      for (const s of stores) s.redis.down = false;
      for (const t of takeovers) await t.stop();
      for (const hb of beats) await hb.stop();
      await r.del([`${stream}:g:replicas`]);
      await r.close();
    }
  });
});
