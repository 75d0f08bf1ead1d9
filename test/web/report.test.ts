import { readingClock } from '../support/clock.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { appendAudit } from '../../src/audit/append.js';
import { schema } from '../../src/db/client.js';
import { newId } from '../../src/proposals/ids.js';
import { tuningReport } from '../../src/proposals/report.js';
import { seedPending } from '../notify/fixtures.js';
import { ALICE, get, post, startAgent, type RunningAgent } from '../support/agent.js';
import { WORKDAY_START } from '../support/clock.js';
import { freshPglite, freshPostgres, type TestDatabase } from '../support/db.js';
import { call, cookiesFrom, hidden } from './console/client.js';

const HOUR = 3_600_000;
/** An ISO window start in the past for both clocks: the agent's pinned Tuesday and the CLI's wall clock. */
const SINCE = '2026-10-20T00:00:00Z';

interface Seed {
  action?: string;
  status: string;
  score: number;
  route?: string;
  via?: string;
  mode?: string;
  verification?: string;
  decidedAfterMin?: number;
  hoursAgo?: number;
  /** Made by Claude with this system prompt version (its reasoning.completed row says so). */
  prompt?: string;
}

const SEEDS: Seed[] = [
  { status: 'succeeded', score: 15, route: 'auto', via: 'policy', decidedAfterMin: 0, verification: 'passed' },
  { status: 'succeeded', score: 18, route: 'auto', via: 'policy', decidedAfterMin: 0, verification: 'reverted' },
  { status: 'succeeded', score: 33, via: 'slack', decidedAfterMin: 4, verification: 'passed', prompt: 'sre-claude-v1' },
  { status: 'approved', score: 42, via: 'console', decidedAfterMin: 10, mode: 'shadow', prompt: 'sre-claude-v2' },
  { status: 'expired', score: 55, via: 'expiry', decidedAfterMin: 1440, prompt: 'sre-claude-v2' },
  { action: 'bump_budget_cap', status: 'rejected', score: 80, via: 'email', decidedAfterMin: 30, mode: 'shadow', prompt: 'sre-claude-v1' },
  // Older than the window: counted by neither.
  { status: 'rejected', score: 5, via: 'slack', decidedAfterMin: 1, hoursAgo: 60 * 24 },
];

async function seed(d: TestDatabase) {
  for (const s of SEEDS) {
    const created = new Date(WORKDAY_START - (s.hoursAgo ?? 2) * HOUR);
    const decided = s.decidedAfterMin === undefined ? null : new Date(created.getTime() + s.decidedAfterMin * 60_000);
    const id = newId('prp');
    await d.db.insert(schema.proposals).values({
      id,
      incidentId: newId('inc'),
      status: s.status,
      action: s.action ?? 'circuit_break_provider',
      target: 'provider:openai',
      params: {},
      riskScore: s.score,
      riskFactors: [],
      route: s.route ?? 'gate',
      reasoning: 'seeded',
      reasoner: s.prompt ? 'claude' : 'playbook',
      createdAt: created,
      updatedAt: created,
      decidedVia: s.via ?? null,
      decidedBy: s.via ? `someone via ${s.via}` : null,
      decidedAt: decided,
      expiresAt: new Date(created.getTime() + 24 * HOUR),
      mode: s.mode ?? 'live',
      verificationStatus: s.verification ?? 'none',
    });
    if (s.prompt) await appendAudit(d.db, { kind: 'reasoning.completed', actor: { type: 'system', name: 'agent' }, proposalId: id, payload: { reasoner: 'claude', system_prompt_version: s.prompt } });
  }
}

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.env = saved;
  }
}

describe('the tuning report over HTTP, on the command line and in the console', () => {
  let d: TestDatabase;
  let a: RunningAgent;
  beforeAll(async () => {
    d = await freshPostgres();
    await seed(d);
    a = await startAgent(d);
    // One rejection through the real decision path: the API's channel counts as a person's.
    const p = await seedPending(d.db, { riskScore: 47 });
    await d.db.update(schema.proposals).set({ createdAt: new Date(WORKDAY_START - HOUR) }).where(eq(schema.proposals.id, p.proposalId));
    const r = await post(a.base, `/v1/proposals/${p.proposalId}/decision`, { decision: 'reject', reason: 'not now' }, ALICE);
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await a.stop();
    await d.dispose();
  });

  it('GET /v1/report counts the seeded decisions as a hand count does', async () => {
    const r = await get(a.base, `/v1/report?since=${encodeURIComponent(SINCE)}`, ALICE);
    expect(r.status).toBe(200);
    expect(r.body.proposals).toBe(7);
    expect(r.body.actions).toEqual([
      expect.objectContaining({ action: 'bump_budget_cap', proposals: 1, shadow: 1, approved: 0, rejected: 1, auto_executed: 0, median_time_to_decision_ms: 30 * 60_000 }),
      expect.objectContaining({ action: 'circuit_break_provider', proposals: 6, shadow: 1, approved: 2, rejected: 1, expired: 1, auto_executed: 2, verified: 3, verification_pass_rate: 0.667 }),
    ]);
    const at = (t: number) => r.body.thresholds.find((x: { threshold: number }) => x.threshold === t);
    expect(at(15)).toEqual({ threshold: 15, would_auto_execute: 1, rejected_by_humans: 0, verification_failed: 0 });
    expect(at(20)).toEqual({ threshold: 20, would_auto_execute: 2, rejected_by_humans: 0, verification_failed: 1 });
    expect(at(50)).toEqual({ threshold: 50, would_auto_execute: 5, rejected_by_humans: 1, verification_failed: 1 });
    expect(at(100)).toEqual({ threshold: 100, would_auto_execute: 7, rejected_by_humans: 2, verification_failed: 1 });
    expect(r.body).not.toHaveProperty('recommended_threshold');
    expect(r.body.recommendation).toMatchObject({ threshold: null, rests_on_decisions: 1 });
    // Agreement by prompt version, by hand: v1 approved in Slack and rejected by email; v2 approved
    // in the console and expired (no decision); the playbook's only human decision is the API's rejection.
    expect(r.body.agreement).toEqual([
      { reasoner: 'claude', prompt_version: 'sre-claude-v1', proposals: 2, decisions: 2, approved: 1, rejected: 1, agreement: 0.5 },
      { reasoner: 'claude', prompt_version: 'sre-claude-v2', proposals: 2, decisions: 1, approved: 1, rejected: 0, agreement: 1 },
      { reasoner: 'playbook', prompt_version: null, proposals: 3, decisions: 1, approved: 0, rejected: 1, agreement: 0 },
    ]);
  });

  it('defaults to 30 days, needs an operator, and answers a since that does not parse with 400', async () => {
    const def = await get(a.base, '/v1/report', ALICE);
    expect(def.status).toBe(200);
    expect(def.body.window).toBe('30d');
    expect(def.body.proposals).toBe(7);
    expect((await get(a.base, '/v1/report')).status).toBe(401);
    const bad = await get(a.base, '/v1/report?since=last%20week', ALICE);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid', error: expect.stringMatching(/since: expected a window such as 12h, 30d or 2w.*"last week"/) });
  });

  it('the CLI agrees with HTTP, in json, text and csv', async () => {
    const env = { DATABASE_URL: d.url };
    const json = await cli(['report', '--since', SINCE, '--format', 'json'], env);
    expect(json.code).toBe(0);
    const http = (await get(a.base, `/v1/report?since=${encodeURIComponent(SINCE)}`, ALICE)).body;
    const fromCli = JSON.parse(json.stdout);
    // The windows end at each one's own clock (the agent's is pinned); the figures are the same.
    const { until: _u1, ...cliRest } = fromCli;
    const { until: _u2, ...httpRest } = http;
    expect(cliRest).toEqual(httpRest);

    const text = await cli(['report', '--since', SINCE], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/circuit_break_provider\s+6\s+1\s+2\s+1\s+1\s+2\s/);
    expect(text.stdout).toMatch(/No recommended threshold: too little evidence/);
    expect(text.stdout).toMatch(/claude\s+sre-claude-v1\s+2\s+2\s+1\s+1\s+50 %/);
    const csv = await cli(['report', '--since', SINCE, '--format', 'csv'], env);
    expect(csv.stdout.split('\n')).toContain('threshold,50,,,,,,,,5,1,1,,,,,,,,');
  });

  it('the CLI refuses a bad --since or --format with exit code 2 and opens no database', async () => {
    const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const bad = await cli(['report', '--since', 'fortnight'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since: expected a window such as 12h, 30d or 2w.*"fortnight"/);
    const fmt = await cli(['report', '--format', 'xml'], env);
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toMatch(/--format: expected text, json or csv, got "xml"/);
  });

  it('beside an agent serving the embedded database, the CLI points at the running agent instead', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sre-report-'));
    try {
      mkdirSync(path.join(dir, 'pglite'), { recursive: true });
      // The parent process stands in for a running agent: alive, and not this process.
      writeFileSync(path.join(dir, 'pglite', 'agent.pid'), String(process.ppid));
      const r = await cli(['report', '--since', '7d'], { SRE_DATA_DIR: dir, DATABASE_URL: '' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`agent \\(pid ${process.ppid}\\) holds the embedded database.*GET /v1/report\\?since=7d or the console's /sre/report`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the console page draws the table as inline SVG, with no script', async () => {
    const port = Number(new URL(a.base).port);
    const form = await call(port, 'GET', '/sre/login');
    const jar = cookiesFrom(form);
    const signedIn = await call(port, 'POST', '/sre/login', { headers: { cookie: jar }, form: { csrf: hidden(form.body, 'csrf')!, next: '/sre/report', token: ALICE } });
    expect(signedIn.headers.location).toBe('/sre/report');
    const cookie = cookiesFrom(signedIn, jar);
    const page = await call(port, 'GET', `/sre/report?since=${encodeURIComponent(SINCE)}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.body).toContain('<svg class="report-chart"');
    expect(page.body).not.toMatch(/<script/i);
    expect(page.body.match(/<g data-threshold="/g)).toHaveLength(21);
    expect(page.body).toContain('<tr data-threshold="50"><td>50</td><td>5</td><td>1</td><td>1</td></tr>');
    expect(page.body).toMatch(/<tr data-action="circuit_break_provider"><td>circuit_break_provider<\/td><td>6<\/td><td>1<\/td><td>2<\/td><td>1<\/td><td>1<\/td><td>2<\/td><td>10m<\/td><td>67 % of 3<\/td><\/tr>/);
    expect(page.body).toContain('data-recommendation="none"');
    expect(page.body).toContain('<h2>Agreement by prompt version</h2>');
    expect(page.body).toContain('<tr data-reasoner="claude" data-prompt-version="sre-claude-v1"><td>claude</td><td>sre-claude-v1</td><td>2</td><td>2</td><td>1</td><td>1</td><td>50 %</td></tr>');
    expect(page.body).toContain('<tr data-reasoner="playbook" data-prompt-version=""><td>playbook</td><td>—</td><td>3</td><td>1</td><td>0</td><td>1</td><td>0 %</td></tr>');
    expect(page.body).toContain('current 40');
    const bad = await call(port, 'GET', '/sre/report?since=%3Cb%3Eyesterday', { headers: { cookie } });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('&lt;b&gt;yesterday');
    expect(bad.body).not.toContain('<b>yesterday');
    expect((await call(port, 'GET', '/sre/report')).status).toBe(303);
  });
});

describe('the tuning report on the embedded PGlite', () => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await freshPglite();
    await seed(d);
  });
  afterAll(() => d.dispose());

  it('groups and times decisions as on PostgreSQL', async () => {
    const r = await tuningReport({ db: d.db, clock: readingClock(() => new Date(WORKDAY_START))}, { since: '30d' });
    expect(r.proposals).toBe(6);
    expect(r.actions.find((x) => x.action === 'circuit_break_provider')).toEqual({
      action: 'circuit_break_provider',
      proposals: 5,
      shadow: 1,
      approved: 2,
      rejected: 0,
      expired: 1,
      auto_executed: 2,
      median_time_to_decision_ms: 7 * 60_000,
      verified: 3,
      verification_pass_rate: 0.667,
    });
    expect(r.thresholds.find((t) => t.threshold === 80)).toEqual({ threshold: 80, would_auto_execute: 6, rejected_by_humans: 1, verification_failed: 1 });
  });
});
