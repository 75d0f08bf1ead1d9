import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEval } from '../../eval/run.js';
import { main } from '../../src/cli.js';
import { DecisionRecord } from '../../src/domain/decision-record.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { ALICE, BOB, INGEST_TOKEN, event, gatewayAgreeing, get, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { connectPglite } from '../../src/db/client.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { memoryIo } from './io.js';

/**
 * Issue 19, item 4: `sre-agent eval export` writes what people decided, and `npm run eval -- --replay`
 * reasons about it again. On both databases: four incidents decided through the API (two approved,
 * two rejected with reasons) and one left pending; the export holds the four, and today's unchanged
 * playbook, fed only what was recorded, proposes exactly what it proposed then.
 */

type Proposal = { id: string; action: string; incident: { type: string; latest: { sla_id?: string } } };

async function decideFour(a: RunningAgent): Promise<Proposal[]> {
  const events = [
    unhealthy('openai', { sample_errors: ['503 Service Unavailable'] }),
    event('latency.spike', { provider: 'anthropic', model_group: 'claude-sonnet', latency_ms: 24000, rolling_median_ms: 900 }),
    event('sla.violation', { sla_id: 'sla-checkout-p95', team: 't-checkout', metric: 'p95_latency_ms', target: 1200, observed: 2600, window_seconds: 900 }),
    event('budget.exceeded', { scope: 'team', scope_id: 't-search', limit_kind: 'hard', limit_usd: 5000, spend_usd: 5200, period: 'month' }),
    event('sla.violation', { sla_id: 'sla-search-p99', team: 't-search', metric: 'p99_latency_ms', target: 4000, observed: 9000, window_seconds: 900 }),
  ];
  expect((await post(a.base, '/v1/events', events, INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  const all: Proposal[] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
  expect(all).toHaveLength(5);
  const of = (type: string, sla?: string) => all.find((p) => p.incident.type === type && (sla === undefined || p.incident.latest.sla_id === sla))!;
  const decided = [of('provider.unhealthy'), of('budget.exceeded'), of('latency.spike'), of('sla.violation', 'sla-checkout-p95')];
  expect(decided.map((p) => p.action)).toEqual(['circuit_break_provider', 'page_oncall', 'reroute_model_group', 'page_oncall']);
  for (const p of decided.slice(0, 2)) expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE)).status).toBe(200);
  expect((await post(a.base, `/v1/proposals/${decided[2]!.id}/decision`, { decision: 'reject', reason: 'bedrock is in maintenance' }, BOB)).status).toBe(200);
  expect((await post(a.base, `/v1/proposals/${decided[3]!.id}/decision`, { decision: 'reject', reason: 'checkout is in a freeze, not paging' }, BOB)).status).toBe(200);
  return decided;
}

/** The replay's output and exit code; problems go to their own list (stderr). */
async function replay(file: string, env: Record<string, string> = {}, args: string[] = []) {
  const out: string[] = [];
  const errors: string[] = [];
  const code = await runEval(['--replay', file, '--reasoner', 'playbook', ...args], (l) => out.push(l), { error: (l) => errors.push(l), env: { NODE_ENV: 'test', ...env } });
  return { code, out: out.join('\n'), errors: errors.join('\n') };
}

function checkRoundTrip(lines: string[], decided: Proposal[]) {
  expect(lines).toHaveLength(4);
  const records = lines.map((l) => DecisionRecord.parse(JSON.parse(l)));
  expect(records.map((r) => r.proposal.id).sort()).toEqual(decided.map((p) => p.id).sort());
  for (const r of records) {
    expect(r.version).toBe(1);
    expect(r.events.length).toBeGreaterThan(0);
    expect(r.gateway_reads).not.toBeNull();
    expect(r.decision.via).toBe('api');
    // The reads made while proposing were recorded with the proposal (an SLA page reads nothing).
    if (r.incident.type !== 'sla.violation') expect(r.gateway_reads!.map((x) => x.read)).toEqual(expect.arrayContaining(r.incident.type === 'budget.exceeded' ? ['budget'] : ['provider', 'model_group']));
  }
  const rejected = records.filter((r) => r.decision.decision === 'rejected');
  expect(rejected.map((r) => [r.decision.by, r.decision.reason]).sort()).toEqual([
    ['bob', 'bedrock is in maintenance'],
    ['bob', 'checkout is in a freeze, not paging'],
  ]);
  expect(records.filter((r) => r.decision.decision === 'approved').every((r) => r.decision.by === 'alice' && r.decision.approvals[0]?.by === 'alice')).toBe(true);
}

async function roundTrip(file: string) {
  // Today's playbook is the one that proposed: the same actions, parameters and scores; approvals agree, rejections do not.
  const same = await replay(file);
  expect(same.errors).toBe('');
  expect(same.code).toBe(0);
  const rows = table(same.out);
  // A hand count: circuit-break approved (agrees), budget page approved (agrees), re-route rejected
  // and SLA page rejected (both proposed again: disagree); the SLA page would page again by itself.
  expect(rows).toEqual({
    circuit_break_provider: ['1', '1', '0', '1', '100 %', '0', '0', '0', '0', '0'],
    page_oncall: ['2', '1', '1', '1', '50 %', '0', '0', '0', '0', '0'],
    reroute_model_group: ['1', '0', '1', '0', '0 %', '0', '0', '0', '0', '0'],
    'all actions': ['4', '2', '2', '2', '50 %', '0', '0', '0', '0', '0'],
  });
  expect(same.out).toContain('would page again without asking where a person rejected the page: 1');
  // A policy that executes everything by itself would now run the rejected re-route without a person: exit 1, named.
  const loose = await replay(file, { SRE_AUTO_APPROVE: 'true', SRE_RISK_THRESHOLD: '100', SRE_TWO_PERSON_SCORE: '100' });
  expect(loose.code).toBe(1);
  expect(table(loose.out)['reroute_model_group']).toEqual(['1', '0', '1', '0', '0 %', '1', '0', '0', '0', '0']);
  expect(loose.out).toMatch(/would now execute by itself what a person rejected: 1\n {2}prp_\S+ \(anthropic latency\): reroute_model_group, risk \d+, rejected by bob: "bedrock is in maintenance"/);
  expect(loose.out).toContain('FAILED: 1 decision(s) a person rejected would now execute without a person');
  // A runbook tried before it is turned on: anthropic's latency is never re-routed, so the rejected re-route now agrees.
  const runbooks = mkdtempSync(path.join(tmpdir(), 'sre-replay-runbooks-'));
  try {
    writeFileSync(path.join(runbooks, 'anthropic.md'), '---\nmatch: { type: latency.spike, provider: anthropic }\nnever: [reroute_model_group]\n---\nBedrock is in maintenance this month.\n');
    const tried = await replay(file, { SRE_RUNBOOK_DIR: runbooks }, ['--verbose']);
    expect(tried.code).toBe(0);
    expect(table(tried.out)['reroute_model_group']).toEqual(['1', '0', '1', '1', '100 %', '0', '1', '0', '1', expect.stringMatching(/^[+-]/)]);
    expect(table(tried.out)['all actions']?.slice(0, 5)).toEqual(['4', '2', '2', '3', '75 %']);
    expect(tried.out).toMatch(/prp_\S+ \(rejected, agrees\): reroute_model_group → \w+; risk 38 → \d+; runbook anthropic\.md/);
  } finally {
    rmSync(runbooks, { recursive: true, force: true });
  }
}

/** The replay's table, row label → its cells. */
function table(out: string): Record<string, string[]> {
  const rows: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const m = /^(\w+|all actions) +(\d+) +(\d+) +(\d+) +(\d+) +([\d.]+ %) +(\d+) +(\d+) +(\d+) +(\d+) +([+-]?[\d.]+)\s*$/.exec(line);
    if (m) rows[m[1]!] = m.slice(2);
  }
  return rows;
}

describe('eval export and --replay, round trip', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sre-replay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('on PostgreSQL, through the command line', () => {
    let db: TestDatabase;
    let a: RunningAgent;
    let decided: Proposal[];
    beforeAll(async () => {
      db = await freshPostgres();
      a = await startAgent(db, {}, { gateway: gatewayAgreeing(['openai']) });
      decided = await decideFour(a);
      await a.stop();
    });
    afterAll(() => db.dispose());
    const cli = async (args: string[]) => {
      const io = memoryIo({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' }, false);
      return { code: await main(args, io), out: io.stdoutText(), err: io.stderrText() };
    };

    it('exports the four decided incidents and replays them to the same proposals', async () => {
      const r = await cli(['eval', 'export', '--since', '30d']);
      expect(r.err).toContain('exported 4 decided incident(s)');
      expect(r.code).toBe(0);
      const lines = r.out.trim().split('\n');
      checkRoundTrip(lines, decided);
      const file = path.join(dir, 'pg.jsonl');
      writeFileSync(file, r.out);
      await roundTrip(file);
      // Recording the reads kept the audit trail's chain intact.
      expect(await verifyAudit(db.db)).toMatchObject({ ok: true });
    });

    it('a good line followed by a bad one: exit 2 naming the bad line and field, and no table at all', async () => {
      const [good] = (await cli(['eval', 'export', '--since', '30d'])).out.trim().split('\n');
      const bad = JSON.parse(good!);
      bad.decision.decision = 'maybe';
      delete bad.proposal.action;
      const file = path.join(dir, 'half.jsonl');
      writeFileSync(file, `${good}\n${JSON.stringify(bad)}\n`);
      const r = await replay(file);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.errors).toMatch(/line 2: proposal\.action: /);
      expect(r.errors).toMatch(/line 2: decision\.decision: /);
      expect(r.errors).not.toContain('line 1');
    });

    it('refuses a --since it cannot read, with exit 2 and nothing on stdout', async () => {
      for (const since of ['yesterday', '0d', '2999-01-01', '30']) {
        const r = await cli(['eval', 'export', '--since', since]);
        expect(r.code, since).toBe(2);
        expect(r.err, since).toContain(`--since: expected a window such as 12h, 30d or 2w, or an ISO 8601 time in the past, got "${since}"`);
        expect(r.out, since).toBe('');
      }
      expect((await cli(['eval', 'export', '--since', '2026-01-01'])).out.trim().split('\n')).toHaveLength(4);
      expect((await cli(['eval', 'export', '--since', '12h'])).code).toBe(0);
      expect((await cli(['eval', 'import'])).code).toBe(2);
    });
  });

  describe('on the embedded PGlite, through the command line', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sre-replay-pglite-'));
    let decided: Proposal[];
    beforeAll(async () => {
      // The agent's own data folder: the CLI opens it as `npm start` would, once the agent has stopped.
      const d = await connectPglite(path.join(dataDir, 'pglite'));
      await d.migrate();
      const a = await startAgent({ ...d, name: 'pglite', url: '', dispose: () => d.close() }, {}, { gateway: gatewayAgreeing(['openai']) });
      decided = await decideFour(a);
      await a.stop();
      await d.close();
    });
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it('exports the four decided incidents and replays them to the same proposals', async () => {
      const io = memoryIo({ SRE_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' }, false);
      expect(await main(['eval', 'export', '--since', '30d'], io)).toBe(0);
      expect(io.stderrText()).toContain('exported 4 decided incident(s)');
      const lines = io.stdoutText().trim().split('\n');
      checkRoundTrip(lines, decided);
      const file = path.join(dir, 'pglite.jsonl');
      writeFileSync(file, io.stdoutText());
      await roundTrip(file);
      // Claude's path, through the eval's local stand-in of the Messages API (no key here): the same four decisions, counted.
      const out: string[] = [];
      const claude = await runEval(['--replay', file, '--reasoner', 'claude'], (l) => out.push(l), { error: (l) => out.push(l), env: { NODE_ENV: 'test' } });
      expect(out.join('\n')).toMatch(/reasoner: claude; model: a scripted stand-in for the Messages API, NOT Claude/);
      expect(table(out.join('\n'))['all actions']?.slice(0, 3)).toEqual(['4', '2', '2']);
      expect([0, 1]).toContain(claude);
    });
  });
});

describe('--replay with a bad file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sre-replay-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 naming each bad line and its problem, and prints nothing else', async () => {
    const file = path.join(dir, 'bad.jsonl');
    writeFileSync(file, ['', '{"version": 1', JSON.stringify({ version: 2 }), ''].join('\n'));
    const r = await replay(file);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.errors).toContain('line 2: not JSON');
    expect(r.errors).toMatch(/line 3: version: /);
    expect(r.errors).toContain('nothing was replayed');
    expect(r.errors).not.toContain('line 1');
  });

  it('exits 2 for a missing file, an empty file and a reasoner it does not know', async () => {
    expect(await replay(path.join(dir, 'none.jsonl'))).toMatchObject({ code: 2, out: '', errors: expect.stringContaining('no such file') });
    const empty = path.join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n');
    expect(await replay(empty)).toMatchObject({ code: 2, out: '', errors: expect.stringContaining('holds no decisions') });
    const r = await runEval(['--replay', empty, '--reasoner', 'both'], () => {}, { error: () => {} });
    expect(r).toBe(2);
  });
});
