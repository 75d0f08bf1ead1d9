import { sql } from 'drizzle-orm';
import { createClient } from 'redis';
import { queryRows, type Db } from '../db/client.js';

/**
 * Where a replica's heartbeat lives. Either way the TTL is judged by the store's own clock (Redis's
 * key expiry, PostgreSQL's now()), never by a replica's, so clock skew between replicas does not
 * matter.
 */
export interface HeartbeatStore {
  readonly kind: 'redis' | 'postgres';
  /** Writes `name`'s heartbeat for `ttlMs`; resolves with whether a live one was there before (false: it had lapsed, or never was). */
  beat(name: string, ttlMs: number): Promise<boolean>;
  /** Every replica that has beaten here and not been forgotten, and whether its heartbeat is live. */
  members(): Promise<{ name: string; alive: boolean }[]>;
  /** Those of `names` whose heartbeat is live here. */
  aliveOf(names: readonly string[]): Promise<Set<string>>;
  /** Unregisters `name`, only while its heartbeat is still gone (a replica that came back stays); resolves whether it did. */
  forget(name: string): Promise<boolean>;
  /** A clean stop: the heartbeat removed and `name` unregistered at once. */
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

/** PostgreSQL: one row a replica (replica_heartbeats), live while `expires_at` is after the database's now(). */
export function postgresHeartbeats(db: Db): HeartbeatStore {
  return {
    kind: 'postgres',
    async beat(name, ttlMs) {
      const rows = await queryRows<{ was_alive: boolean | null }>(
        db,
        sql`with prev as (select expires_at > now() as alive from replica_heartbeats where name = ${name})
            insert into replica_heartbeats (name, beat_at, expires_at) values (${name}, now(), now() + ${Math.round(ttlMs)}::int * interval '1 millisecond')
            on conflict (name) do update set beat_at = excluded.beat_at, expires_at = excluded.expires_at
            returning (select alive from prev) as was_alive`,
      );
      return rows[0]?.was_alive === true;
    },
    async members() {
      const rows = await queryRows<{ name: string; alive: boolean }>(db, sql`select name, expires_at > now() as alive from replica_heartbeats`);
      return rows.map((r) => ({ name: r.name, alive: r.alive === true }));
    },
    async aliveOf(names) {
      if (names.length === 0) return new Set();
      const rows = await queryRows<{ name: string }>(db, sql`select name from replica_heartbeats where name in (${sql.join(names.map((n) => sql`${n}`), sql`, `)}) and expires_at > now()`);
      return new Set(rows.map((r) => r.name));
    },
    async forget(name) {
      const rows = await queryRows<{ name: string }>(db, sql`delete from replica_heartbeats where name = ${name} and expires_at <= now() returning name`);
      return rows.length > 0;
    },
    async remove(name) {
      await db.execute(sql`delete from replica_heartbeats where name = ${name}`);
    },
    close: async () => {},
  };
}

/** The Redis key names of one consumer group's heartbeats: one key a replica (with a TTL) and the set of members. */
export function heartbeatKeys(stream: string, group: string): { key(name: string): string; members: string } {
  const prefix = `${stream}:${group}:replica`;
  return { key: (name) => `${prefix}:${name}`, members: `${prefix}s` };
}

/** KEYS[1] heartbeat key, KEYS[2] members set; ARGV name, ttl ms. Returns 1 when a live heartbeat was there before. */
const BEAT_SCRIPT = `
local had = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return had
`;

/** KEYS[1] heartbeat key, KEYS[2] members set; ARGV name. Forgets only a heartbeat still gone. */
const FORGET_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
return redis.call('SREM', KEYS[2], ARGV[1])
`;

/**
 * Redis: `SET key name PX ttl` (the key expires by Redis's clock) and the name in a members set,
 * in one script. Its own connection: the stream consumer's blocks in XREADGROUP, and a heartbeat
 * must never wait behind a read.
 */
export function redisHeartbeats(opts: { redisUrl: string; stream: string; group: string }): HeartbeatStore {
  const client = createClient({
    url: opts.redisUrl,
    // A beat that cannot be sent fails at once (the heartbeat falls back); none queue up to land late.
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000) },
  });
  client.on('error', () => {});
  const keys = heartbeatKeys(opts.stream, opts.group);
  let connecting: Promise<unknown> | undefined;
  // A first connection node-redis retries forever: the heartbeat bounds each call with its own deadline.
  const ready = async () => {
    if (!client.isOpen) connecting ??= client.connect().catch(() => undefined).finally(() => (connecting = undefined));
    if (connecting) await connecting;
    if (!client.isReady) throw new Error('redis not reachable for the heartbeat');
    return client;
  };
  return {
    kind: 'redis',
    async beat(name, ttlMs) {
      const had = await (await ready()).eval(BEAT_SCRIPT, { keys: [keys.key(name), keys.members], arguments: [name, String(Math.round(ttlMs))] });
      return Number(had) === 1;
    },
    async members() {
      const c = await ready();
      const names = (await c.sMembers(keys.members)).map(String).sort();
      if (names.length === 0) return [];
      const values = await c.mGet(names.map((n) => keys.key(n)));
      return names.map((name, i) => ({ name, alive: values[i] !== null && values[i] !== undefined }));
    },
    async aliveOf(names) {
      if (names.length === 0) return new Set();
      const values = await (await ready()).mGet(names.map((n) => keys.key(n)));
      return new Set(names.filter((_, i) => values[i] !== null && values[i] !== undefined));
    },
    async forget(name) {
      return Number(await (await ready()).eval(FORGET_SCRIPT, { keys: [keys.key(name), keys.members], arguments: [name] })) === 1;
    },
    async remove(name) {
      const c = await ready();
      await c.del(keys.key(name));
      await c.sRem(keys.members, name);
    },
    async close() {
      if (client.isReady) await client.close().catch(() => client.destroy());
      else if (client.isOpen) client.destroy();
    },
  };
}
