import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { startAgentProcess, type AgentProcess } from '../agent-process.js';
import { startModelStub, startSlackStub } from '../stubs.js';
import { REDIS_URL, freshDatabase, median, progress, providerEvent, redisClient, round, scaled, sleep, streamName, waitUntil, type RedisClient } from '../support.js';
import { MODEL_LATENCY_MS } from './model.js';
import { countOf } from './storm.js';

const PROVIDERS = 20;
const SLOW_BATCH = 'a stream batch took more than half the claim idle; its entries were held';
const PER_SECOND = 5_000;
/** How long after the kill the part waits for recovery before it reports what is missing. */
const LIMIT_MS = 90_000;
// BENCH_CRASH_REASONER=playbook takes the model out (then only the stream and the outbox are tested).
const WITH_MODEL = process.env.BENCH_CRASH_REASONER !== 'playbook';

async function pendingOf(r: RedisClient, stream: string, group: string, consumer: string): Promise<number> {
  const summary = await r.xPending(stream, group);
  return Number(summary.consumers?.find((c) => String(c.name) === consumer)?.deliveriesCounter ?? 0);
}

/**
 * Two compiled agents (SRE_CONSUMER_NAME crash-a and crash-b, everything else as shipped, Claude
 * against the Messages API stand-in) on one stream, one database and one Slack stand-in. A storm
 * of 20,000 events over 20 providers at 5,000 ev/s; half-way through, once crash-a holds entries
 * it has not acknowledged, it is killed with SIGKILL. Then: time from the kill until every event is
 * stored and every incident has a proposal; events lost; incidents, proposals and Slack threads
 * beyond one per provider.
 */
async function crashRun(): Promise<Record<string, number | boolean | null>> {
  const n = scaled(20_000);
  const db = await freshDatabase('crash', 4);
  const slack = await startSlackStub();
  const model = WITH_MODEL ? await startModelStub(MODEL_LATENCY_MS) : undefined;
  const r = await redisClient();
  const stream = streamName('crash');
  const group = 'sre-agent';
  const agents: AgentProcess[] = [];
  try {
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      SRE_EVENT_STREAM: stream,
      SRE_CONSUMER_GROUP: group,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: 'bench-signing-secret',
      SLACK_INCIDENT_CHANNEL: 'C0BENCH',
      SLACK_API_URL: slack.url,
      ...(model ? { ANTHROPIC_API_KEY: 'sk-ant-bench-0000', ANTHROPIC_BASE_URL: model.url } : {}),
    };
    const [a, b] = await Promise.all([startAgentProcess({ ...env, SRE_CONSUMER_NAME: 'crash-a' }), startAgentProcess({ ...env, SRE_CONSUMER_NAME: 'crash-b' })]);
    agents.push(a, b);

    let killedAt: number | undefined;
    let pendingAtKill = 0;
    const tryKill = async () => {
      pendingAtKill = await pendingOf(r, stream, group, 'crash-a');
      if (pendingAtKill === 0) return;
      a.child.kill('SIGKILL');
      killedAt = performance.now();
    };
    // 100 ms ticks at the storm's rate; the kill comes half-way, as soon as crash-a holds a batch.
    const chunk = Math.max(1, Math.round(PER_SECOND / 10));
    const t0 = performance.now();
    for (let sent = 0; sent < n; ) {
      const tick = performance.now();
      const size = Math.min(chunk, n - sent);
      await Promise.all(Array.from({ length: size }, (_, i) => r.xAdd(stream, '*', { event: JSON.stringify(providerEvent(`evt_crash_${sent + i}`, `crash-p${(sent + i) % PROVIDERS}`, sent + i)) })));
      sent += size;
      if (killedAt === undefined && sent >= n / 2) await tryKill();
      await sleep(Math.max(0, 100 - (performance.now() - tick)));
    }
    // A storm too short to catch crash-a with a batch in hand: kill it as soon as it holds one.
    if (killedAt === undefined) await waitUntil(async () => (await tryKill(), killedAt !== undefined), 10_000, 5);
    if (killedAt === undefined) {
      a.child.kill('SIGKILL');
      killedAt = performance.now();
    }
    const sendSeconds = (performance.now() - t0) / 1000;
    progress(`crash: ${n} events sent in ${sendSeconds.toFixed(1)} s; crash-a killed holding ${pendingAtKill} unacknowledged entries`);
    await a.exited;

    const heldByA = () => countOf(db.db, sql`select (select count(*) from timers where leased_by = 'crash-a' and status = 'pending') + (select count(*) from outbox where leased_by = 'crash-a' and status = 'pending') as n`);
    const leasesAtKill = await heldByA();
    const storedEvents = () => countOf(db.db, sql`select count(*) as n from events`);
    const unproposed = () => countOf(db.db, sql`select count(*) as n from incidents i where not exists (select 1 from proposals p where p.incident_id = i.id)`);
    // The stream's share (the survivor claiming crash-a's entries) and the timers' share, apart.
    let eventsMs: number | undefined;
    let proposalsMs: number | undefined;
    let claimedMs: number | undefined;
    // The first takeover: an entry crash-a held moved to crash-b, or a lease it held released or taken.
    let detectMs: number | undefined;
    const recovered = await waitUntil(
      async () => {
        const now = performance.now() - killedAt!;
        const pendingA = await pendingOf(r, stream, group, 'crash-a');
        if (detectMs === undefined && (pendingA < pendingAtKill || (await heldByA()) < leasesAtKill)) detectMs = now;
        if (claimedMs === undefined && pendingA === 0) claimedMs = now;
        if (eventsMs === undefined && (await storedEvents()) >= n) eventsMs = now;
        if (proposalsMs === undefined && (await countOf(db.db, sql`select count(*) as n from incidents`)) >= PROVIDERS && (await unproposed()) === 0) proposalsMs = now;
        return eventsMs !== undefined && proposalsMs !== undefined && claimedMs !== undefined && detectMs !== undefined;
      },
      LIMIT_MS,
      50,
    );
    const recoveryMs = Math.max(eventsMs ?? 0, proposalsMs ?? 0, claimedMs ?? 0);
    // Then let the survivor's outbox post what it owes, so doubled threads would show.
    await waitUntil(async () => (await countOf(db.db, sql`select count(*) as n from outbox where status = 'pending'`)) === 0, 30_000, 200);
    await sleep(500);

    const stored = await storedEvents();
    const extraIncidents = await countOf(db.db, sql`select count(*) - count(distinct key) as n from incidents`);
    const extraProposals = await countOf(db.db, sql`select count(*) - count(distinct incident_id) as n from proposals`);
    const threads = new Map<string, number>();
    for (const c of slack.calls) {
      if (c.method !== 'chat.postMessage' || c.body.includes('thread_ts')) continue;
      const p = /crash-p(\d+)\b/.exec(c.body)?.[1];
      if (p !== undefined) threads.set(p, (threads.get(p) ?? 0) + 1);
    }
    const extraThreads = [...threads.values()].reduce((s, k) => s + k - 1, 0);
    const fallbacks = await queryRows<{ n: string | number }>(db.db, sql`select count(*) as n from proposals where fallback_reason is not null`);
    const out = {
      crash_events: n,
      crash_recovery_ms: recovered ? round(recoveryMs, 0) : null,
      crash_recovered: recovered,
      crash_detect_ms: detectMs === undefined ? null : round(detectMs, 0),
      crash_leases_at_kill: leasesAtKill,
      crash_claimed_ms: claimedMs === undefined ? null : round(claimedMs, 0),
      crash_events_stored_ms: eventsMs === undefined ? null : round(eventsMs, 0),
      crash_proposals_ms: proposalsMs === undefined ? null : round(proposalsMs, 0),
      crash_storm_events_per_s: round(n / sendSeconds, 0),
      crash_lost: n - stored,
      crash_duplicates: extraIncidents + extraProposals + extraThreads,
      crash_duplicate_incidents: extraIncidents,
      crash_duplicate_proposals: extraProposals,
      crash_duplicate_threads: extraThreads,
      crash_incidents: await countOf(db.db, sql`select count(*) as n from incidents`),
      crash_unproposed: await unproposed(),
      // Propose timers still leased minutes ahead: claimed by a replica (the dead one) and not yet due again.
      crash_leased_propose_timers: await countOf(db.db, sql`select count(*) as n from timers where kind = 'propose' and status = 'pending' and run_at > now() + interval '1 minute'`),
      crash_slack_threads: threads.size,
      crash_pending_at_kill: pendingAtKill,
      crash_model_calls: model?.calls.length ?? 0,
      crash_fallbacks: Number(fallbacks[0]?.n ?? 0),
      // Batches slower than half the claim idle (the consumer warns of each): 0 means no live replica looked dead.
      crash_slow_batches: agents.reduce((k, x) => k + x.logged(SLOW_BATCH), 0),
    };
    progress(`crash run: ${JSON.stringify(out)}${recovered ? '' : ` (not recovered within ${LIMIT_MS / 1000} s of the kill)`}`);
    return out;
  } finally {
    await Promise.all(agents.map((x) => x.stop()));
    await slack.close();
    await model?.close();
    await r.del([stream, `${stream}:dead`]);
    await r.close();
    await db.drop();
  }
}

/** BENCH_CRASH_RUNS (default 3): runs of the part in one process; the figures are their medians. */
const RUNS = Math.max(1, Number(process.env.BENCH_CRASH_RUNS ?? 3));
/** Counts of what went wrong: summed over the runs (each must be 0). */
const SUMMED = ['crash_lost', 'crash_duplicates', 'crash_duplicate_incidents', 'crash_duplicate_proposals', 'crash_duplicate_threads', 'crash_unproposed', 'crash_slow_batches'];

/**
 * The crash part, RUNS times in one process so one noisy run does not decide: every figure is the
 * median of the runs (a run that did not recover counts as missing, and `crash_recovered` is false
 * when any did not), the counts of losses and doubles are summed, and each run's recovery and
 * detection times are kept beside (`crash_recovery_runs_ms`, `crash_detect_runs_ms`).
 */
export async function benchCrash(): Promise<Record<string, unknown>> {
  const runs: Record<string, number | boolean | null>[] = [];
  for (let i = 0; i < RUNS; i++) {
    progress(`crash: run ${i + 1} of ${RUNS}`);
    runs.push(await crashRun());
  }
  const out: Record<string, unknown> = { crash_runs: RUNS };
  for (const key of Object.keys(runs[0] ?? {})) {
    const values = runs.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
    if (key === 'crash_recovered') out[key] = runs.every((r) => r[key] === true);
    else if (SUMMED.includes(key)) out[key] = values.reduce((a, b) => a + b, 0);
    else out[key] = values.length === runs.length ? round(median(values)!, 0) : null;
  }
  out.crash_recovery_runs_ms = runs.map((r) => r.crash_recovery_ms ?? null);
  out.crash_detect_runs_ms = runs.map((r) => r.crash_detect_ms ?? null);
  progress(`crash: ${JSON.stringify(out)}`);
  return out;
}
