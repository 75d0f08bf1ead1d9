import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/db/client.js';
import { startBenchAgent } from '../harness.js';
import { startSlackStub } from '../stubs.js';
import { freshDatabase, progress, providerEvent, redisClient, round, scaled, sleep, streamName, waitUntil, xaddAll } from '../support.js';

export async function countOf(db: Db, q: ReturnType<typeof sql>): Promise<number> {
  const rows = await queryRows<{ n: string | number }>(db, q);
  return Number(rows[0]?.n ?? 0);
}

/** Ten thousand events for one provider through the whole agent: stream, ingest, propose, Slack. */
export async function benchStorm(): Promise<Record<string, number>> {
  const n = scaled(10_000);
  const db = await freshDatabase('storm');
  const slack = await startSlackStub();
  const r = await redisClient();
  const stream = streamName('storm');
  const agent = await startBenchAgent({ database: db, stream, slackUrl: slack.url });
  try {
    const t0 = performance.now();
    await xaddAll(
      r,
      stream,
      Array.from({ length: n }, (_, i) => providerEvent(`evt_storm_${i}`, 'storm-provider', i)),
      500,
    );
    await waitUntil(async () => (await countOf(db.db, sql`select count(*) as n from events`)) >= n, 180_000, 200);
    const seconds = (performance.now() - t0) / 1000;
    // Let the outbox drain what the storm queued (paced at one Slack message a second).
    await waitUntil(async () => (await countOf(db.db, sql`select count(*) as n from outbox where status = 'pending'`)) === 0 && (await countOf(db.db, sql`select count(*) as n from proposals`)) > 0, 20_000, 200);
    await sleep(200);
    const stored = await countOf(db.db, sql`select count(*) as n from events`);
    const out = {
      storm_events: n,
      storm_stored: stored,
      storm_counted: await countOf(db.db, sql`select coalesce(sum(event_count), 0) as n from incidents`),
      storm_incidents: await countOf(db.db, sql`select count(*) as n from incidents`),
      storm_proposals: await countOf(db.db, sql`select count(*) as n from proposals`),
      storm_llm_calls: agent.reasoningRuns(),
      storm_slack_posts: slack.calls.filter((c) => c.method === 'chat.postMessage').length,
      storm_slack_updates: slack.calls.filter((c) => c.method === 'chat.update').length,
      storm_lost: n - stored,
      storm_dead_lettered: agent.consumer?.status().deadLettered ?? 0,
      storm_batch_max_ms: agent.consumer?.status().longestBatchMs ?? 0,
      storm_seconds: round(seconds, 2),
    };
    progress(`storm: ${JSON.stringify(out)}`);
    return out;
  } finally {
    await agent.stop();
    await slack.close();
    await r.del([stream, `${stream}:dead`]);
    await r.close();
    await db.drop();
  }
}
