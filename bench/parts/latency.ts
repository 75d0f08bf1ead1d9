import { sql } from 'drizzle-orm';
import { startBenchAgent } from '../harness.js';
import { countOf } from './storm.js';
import { startSlackStub } from '../stubs.js';
import { freshDatabase, percentile, progress, providerEvent, redisClient, round, scaled, sleep, streamName, waitUntil } from '../support.js';

// BENCH_BACKGROUND_PER_S=0 isolates the outbox's own pace from the background's summary edits.
const BACKGROUND_PER_S = Number(process.env.BENCH_BACKGROUND_PER_S ?? 500);

/**
 * XADD → Slack post of a new incident's parent message, while a steady background of 500 events/s
 * updates an incident that is already open. New incidents come slower than Slack's one message a
 * second per channel, so the queue stays bounded.
 */
export async function benchEventToSlack(): Promise<Record<string, number>> {
  const samples = scaled(20);
  const spacingMs = 3_000;
  const db = await freshDatabase('latency');
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const commitLatencies: number[] = [];
  const slack = await startSlackStub((call) => {
    if (call.method !== 'chat.postMessage' || call.body.includes('thread_ts')) return;
    const m = /lat-(\d+)/.exec(call.body);
    const t = m ? sentAt.get(m[1]!) : undefined;
    if (m && t !== undefined) {
      latencies.push(call.at - t);
      sentAt.delete(m[1]!);
    }
  });
  const r = await redisClient();
  const stream = streamName('latency');
  const agent = await startBenchAgent({ database: db, stream, slackUrl: slack.url });
  let background = true;
  let bgSent = 0;
  const bg = (async () => {
    const t0 = performance.now();
    while (background) {
      // Ticks of 20 ms, catching up to the target rate so the load stays steady.
      const due = Math.floor(((performance.now() - t0) / 1000) * BACKGROUND_PER_S);
      const batch = [];
      while (bgSent < due) {
        batch.push(r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(`evt_bg_${bgSent}`, 'bg-provider', bgSent)) }));
        bgSent++;
      }
      await Promise.all(batch);
      await sleep(20);
    }
  })();
  try {
    await sleep(3_000);
    for (let k = 0; k < samples; k++) {
      const id = String(k);
      const t = performance.now();
      sentAt.set(id, t);
      await r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(`evt_lat_${k}`, `lat-${k}`, k)) });
      // The share of the latency spent before the commit (polled, so within ~10 ms).
      await waitUntil(async () => (await countOf(db.db, sql`select count(*) as n from events where id = ${`evt_lat_${k}`}`)) > 0, spacingMs * 3, 10);
      commitLatencies.push(performance.now() - t);
      await sleep(Math.max(0, spacingMs - (performance.now() - t)));
    }
    await waitUntil(() => sentAt.size === 0, 20_000, 50);
  } finally {
    background = false;
    await bg;
    await agent.stop();
    await slack.close();
    await r.del([stream, `${stream}:dead`]);
    await r.close();
    await db.drop();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const out = {
    event_to_slack_p50_ms: round(percentile(sorted, 50)),
    event_to_slack_p99_ms: round(percentile(sorted, 99)),
    event_to_commit_p50_ms: round(percentile([...commitLatencies].sort((a, b) => a - b), 50)),
    event_to_commit_p99_ms: round(percentile([...commitLatencies].sort((a, b) => a - b), 99)),
    event_to_slack_samples: sorted.length,
    event_to_slack_missing: samples - sorted.length,
    background_events_per_s: BACKGROUND_PER_S,
    background_events_sent: bgSent,
  };
  progress(`event→slack: ${JSON.stringify(out)}`);
  return out;
}
