import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_KEYS } from '../../src/config.js';
import { TEST_DATABASE_URL, databaseUrl } from '../support/env.js';
import { ROOT, sample } from './support.js';
import { eventually } from '../support/eventually.js';

/**
 * The production artifact as the Dockerfile assembles it (tsc into dist/, bin/, drizzle/,
 * production dependencies only), started from a clean directory against an empty PostgreSQL
 * database with only documented variables, then stopped with SIGTERM in the middle of a burst.
 */

const run = promisify(execFile);
const dbName = `sre_a_${process.env.SRE_TEST_RUN ?? 'x'}_${randomBytes(4).toString('hex')}`;
const OPS_TOKEN = randomBytes(16).toString('hex');
const INGEST_TOKEN = randomBytes(16).toString('hex');
let app: string;
let sql: postgres.Sql;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

interface Running { child: ChildProcess; port: number; output: () => string; exited: Promise<number | null> }

function env(port: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    DATABASE_URL: databaseUrl(dbName),
    SRE_INGEST_TOKEN: INGEST_TOKEN,
    SRE_API_TOKENS: `ops:${OPS_TOKEN}`,
    LOG_LEVEL: 'info',
    // Every seeded proposal waits for the decisions the burst makes (a page would go out at once).
    SRE_PAGE_WITHOUT_APPROVAL: 'false',
  };
}

function cli(args: string[], port: number) {
  return run(process.execPath, ['bin/sre-agent.js', ...args], { cwd: app, env: { PATH: process.env.PATH ?? '', ...env(port) } });
}

async function start(): Promise<Running> {
  const port = await freePort();
  const vars = env(port);
  for (const k of Object.keys(vars)) expect(ENV_KEYS, `${k} is not a documented variable`).toContain(k);
  const child = spawn(process.execPath, ['bin/sre-agent.js', 'serve'], { cwd: app, env: { PATH: process.env.PATH ?? '', ...vars } });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // Generous: this 2-core machine is shared with other suites.
  const outcome = await eventually(
    async () => {
      if (child.exitCode !== null) return 'exited';
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`);
      return 'ready';
    },
    { what: '/readyz answering 200', timeoutMs: 180_000, everyMs: 100 },
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}:\n${out}`);
  });
  if (outcome === 'exited') throw new Error(`the agent exited ${child.exitCode} before it was ready:\n${out}`);
  return { child, port, output: () => out, exited };
}

const event = (id: string, provider: string) => ({
  id,
  type: 'provider.unhealthy',
  occurred_at: new Date().toISOString(),
  source: 'admin-api',
  data: { provider, error_rate: 0.4, requests: 1000, window_seconds: 60 },
});

async function post(port: number, p: string, token: string, body: unknown): Promise<Response | undefined> {
  return fetch(`http://127.0.0.1:${port}${p}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).catch(() => undefined);
}

async function pendingIds(port: number): Promise<string[]> {
  const r = await fetch(`http://127.0.0.1:${port}/v1/proposals?status=pending&limit=1000`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { proposals: { id: string }[] }).proposals.map((p) => p.id);
}

// A child process on real time: polled every 100 ms, the poller throwing on timeout.
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000) => eventually(fn, { what, timeoutMs: ms, everyMs: 100 });

beforeAll(async () => {
  app = mkdtempSync(path.join(tmpdir(), 'sre-artifact-'));
  // The Dockerfile's build stage: `npm run build` is tsc -p tsconfig.build.json; a type error fails it.
  await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(app, 'dist')], {
    cwd: ROOT,
  });
  for (const f of ['bin', 'drizzle', 'package.json', 'package-lock.json']) cpSync(path.join(ROOT, f), path.join(app, f), { recursive: true });
  // The deps stage: what `npm ci --omit=dev` installs (the same packages npm lists without dev).
  // npm ls exits 1 on a mere peer-dependency warning; its list is still complete.
  const stdout = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? '',
  );
  expect(stdout).toContain(`${path.sep}node_modules${path.sep}pino`);
  const top = path.join(ROOT, 'node_modules') + path.sep;
  mkdirSync(path.join(app, 'node_modules'));
  for (const dir of stdout.split('\n').filter((l) => l.startsWith(top))) {
    const rel = dir.slice(top.length);
    if (rel.includes(`${path.sep}node_modules${path.sep}`)) continue; // nested: copied with its parent
    cpSync(dir, path.join(app, 'node_modules', rel), { recursive: true });
  }
  expect(readdirSync(path.join(app, 'node_modules'))).not.toContain('vitest');

  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  sql = postgres(databaseUrl(dbName), { max: 2, onnotice: () => {} });
}, 300_000);

afterAll(async () => {
  await sql?.end();
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('the production artifact', () => {
  it('migrates an empty database, gets ready, and on SIGTERM mid-burst loses nothing and exits 0', async () => {
    const first = await start();
    expect((await sql`select count(*)::int as n from proposals`)[0]!.n).toBe(0);

    // Incidents with pending proposals to decide during the burst.
    // Providers the simulated gateway knows: the re-check at approval reads them (an unknown one is refused as stale).
    const seed = ['openai', 'anthropic', 'azure-openai', 'bedrock', 'vertex', 'mistral'].map((provider, i) => event(`evt_seed_${i}`, provider));
    expect((await post(first.port, '/v1/events', INGEST_TOKEN, seed))?.status).toBe(202);
    const toDecide = await until('six pending proposals', async () => {
      const ids = await pendingIds(first.port);
      return ids.length >= 6 ? ids : undefined;
    });

    // /metrics counts what this test did (the process is new, so the counters start at zero).
    const scrape = await (await fetch(`http://127.0.0.1:${first.port}/metrics`)).text();
    expect(sample(scrape, 'sre_events_ingested_total', { type: 'provider.unhealthy', outcome: 'accepted' }), scrape).toBe(6);
    expect(sample(scrape, 'sre_incidents_open')).toBe(6);
    expect(sample(scrape, 'sre_proposals_current', { status: 'pending' })).toBe(6);
    expect(sample(scrape, 'sre_http_request_duration_seconds_count', { method: 'POST', route: '/v1/events', status: '202' })).toBe(1);

    const accepted = new Set<string>();
    const decided = new Map<string, string>();
    let sent = 0;
    let stopped = false;
    const ingestLoop = async (lane: number) => {
      for (let i = 0; !stopped; i++) {
        const id = `evt_burst_${lane}_${i}`;
        sent++;
        const r = await post(first.port, '/v1/events', INGEST_TOKEN, event(id, `burst-${lane}-${i % 5}`));
        if (!r) return; // connection refused: the agent is gone, and the client knows it was not taken
        if (r.status === 202 && ((await r.json()) as { accepted: string[] }).accepted.includes(id)) accepted.add(id);
      }
    };
    const decideLoop = async () => {
      for (const [i, id] of toDecide.entries()) {
        if (stopped) return;
        const decision = i % 2 === 0 ? 'approve' : 'reject';
        const r = await post(first.port, `/v1/proposals/${id}/decision`, OPS_TOKEN, { decision });
        if (r?.status === 200) decided.set(id, decision);
        // An approval the re-check refuses (the present no longer matches what was proposed, e.g.
        // a provider broken by an earlier approval left fewer alternatives): 409 stale, nothing runs.
        else if (r?.status === 409 && ((await r.json()) as { code?: string }).code === 'stale') decided.set(id, 'stale');
      }
    };
    const lanes = [ingestLoop(0), ingestLoop(1), ingestLoop(2), decideLoop()];
    await until('the burst under way', async () => (sent >= 15 ? true : undefined));
    first.child.kill('SIGTERM');
    const code = await Promise.race([first.exited, new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
    stopped = true;
    await Promise.all(lanes);
    expect(code, first.output()).toBe(0);

    // Every event the agent said it accepted is stored; every decision it confirmed is recorded once.
    expect(accepted.size).toBeGreaterThan(0);
    const stored = new Set((await sql<{ id: string }[]>`select id from events where id like 'evt_burst_%'`).map((r) => r.id));
    for (const id of accepted) expect(stored, id).toContain(id);
    const rows = await sql<{ id: string; status: string; decided_by: string | null }[]>`
      select id, status, decided_by from proposals where id in ${sql(toDecide)}`;
    for (const row of rows) {
      const d = decided.get(row.id);
      if (d === 'reject') expect(row.status, row.id).toBe('rejected');
      else if (d === 'stale') expect(row.status, row.id).toBe('stale');
      else if (d === 'approve') expect(['approved', 'executing', 'succeeded', 'failed'], row.id).toContain(row.status);
      else expect(row.status, `${row.id} was not decided and must still be pending`).toBe('pending');
      if (d && d !== 'stale') expect(row.decided_by).toBe('ops');
    }

    // The next start picks up where the last one stopped: every open incident gets its proposal.
    const second = await start();
    await until('a proposal for every open incident', async () => {
      const [r] = await sql<{ n: number }[]>`
        select count(*)::int as n from incidents i
        where i.status = 'open' and not exists (select 1 from proposals p where p.incident_id = i.id)`;
      return r!.n === 0 ? true : undefined;
    }, 90_000);
    const { stdout } = await cli(['audit', 'verify'], second.port);
    // The chain and every event batch's digest, recomputed from the stored events.
    expect(stdout).toMatch(/audit trail intact: \d+ row\(s\) verified; [1-9]\d* event batch\(es\) match their digest/);
    second.child.kill('SIGTERM');
    expect(await second.exited, second.output()).toBe(0);
  }, 600_000);
});
