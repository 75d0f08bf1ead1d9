import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import { startSlackStub } from '../stubs.js';
import { countOf } from './storm.js';
import { REDIS_URL, freshDatabase, progress, providerEvent, redisClient, round, scaled, sleep, streamName, waitUntil, xaddAll } from '../support.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** VmRSS and VmHWM (the kernel's own peak) of a process, in MB. */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/**
 * The agent's own peak RSS: the compiled agent (`node bin/sre-agent.js serve`, NODE_ENV=production)
 * in a process of its own, on PostgreSQL and Redis with the Slack stub, first draining a backlog of
 * 20,000 stream events over 20 providers, then under 500 events/s for 20 s, every incident posted
 * to Slack. The peak is the kernel's high-water mark (VmHWM) read before the process exits.
 */
export async function benchAgentRss(): Promise<Record<string, number>> {
  if (!existsSync(new URL('../../dist/cli.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` first');
  const backlog = scaled(20_000);
  const db = await freshDatabase('agent_rss', 2);
  const slack = await startSlackStub();
  const r = await redisClient();
  const stream = streamName('agent-rss');
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/sre-agent.js', 'serve'], {
    cwd: new URL('../..', import.meta.url),
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: db.url,
      REDIS_URL,
      SRE_EVENT_STREAM: stream,
      SRE_INGEST_TOKEN: 'bench-ingest-token-0000000000000000',
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: 'bench-signing-secret',
      SLACK_INCIDENT_CHANNEL: 'C0BENCH',
      SLACK_API_URL: slack.url,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  // The agent logs JSON lines to stdout; the tail is kept for an error message.
  for (const s of [child.stdout, child.stderr]) s?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const pid = child.pid!;
  let peakRss = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(pid);
    if (m) peakRss = Math.max(peakRss, m.rss);
  }, 100);
  let hwm = 0;
  try {
    let last = 'no answer';
    const ready = await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`the agent exited ${child.exitCode}: ${stderr}`);
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch((e: unknown) => String(e));
      if (typeof res === 'string') last = res;
      else if (res.status !== 200) last = `${res.status} ${await res.text()}`;
      return typeof res !== 'string' && res.status === 200;
    }, 60_000, 250);
    if (!ready) throw new Error(`the agent never became ready (last: ${last}): ${stderr}`);
    const idle = memoryOf(pid);
    progress(`agent rss: ready at ${round(idle?.rss ?? 0)} MB`);

    const t0 = performance.now();
    await xaddAll(r, stream, Array.from({ length: backlog }, (_, i) => providerEvent(`evt_rss_${i}`, `rss-${i % 20}`, i)));
    const drained = await waitUntil(async () => (await countOf(db.db, sql`select count(*) as n from events`)) >= backlog, 180_000, 200);
    if (!drained) throw new Error(`the backlog was not stored in time: ${stderr}`);
    progress(`agent rss: ${backlog} backlog events stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Then a steady load: 500 events/s for 20 s on the same providers.
    const perSecond = 500;
    const seconds = Math.max(1, Math.round(scaled(20)));
    for (let s = 0; s < seconds; s++) {
      const tick = performance.now();
      await xaddAll(r, stream, Array.from({ length: perSecond }, (_, i) => providerEvent(`evt_rss_s${s}_${i}`, `rss-${i % 20}`, i)));
      await sleep(Math.max(0, 1000 - (performance.now() - tick)));
    }
    const total = backlog + seconds * perSecond;
    await waitUntil(async () => (await countOf(db.db, sql`select count(*) as n from events`)) >= total, 60_000, 200);
    // Every incident's opening post delivered: the outbox has done its share too.
    await waitUntil(async () => (await countOf(db.db, sql`select count(*) as n from outbox where kind = 'incident.opened' and status = 'sent'`)) >= 20, 60_000, 200);
    hwm = memoryOf(pid)?.hwm ?? 0;
    const stored = await countOf(db.db, sql`select count(*) as n from events`);
    const out = {
      agent_peak_rss_mb: round(Math.max(hwm, peakRss)),
      agent_idle_rss_mb: round(idle?.rss ?? 0),
      agent_rss_events: stored,
      agent_rss_slack_posts: slack.calls.filter((c) => c.method === 'chat.postMessage').length,
    };
    progress(`agent rss: ${JSON.stringify(out)}`);
    return out;
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') child.kill('SIGKILL');
    await slack.close();
    await r.del([stream, `${stream}:dead`]);
    await r.close();
    await db.drop();
  }
}
