import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { buildIncidentReport, reportMarkdown, type ReportRow } from '../../src/domain/incident-report.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { ALICE, INGEST_TOKEN, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import type { TestDatabase } from '../support/db.js';
import { useMsw } from '../support/msw.js';
import { steppedTest as it, type SteppedTime } from '../support/stepped.js';
import { main } from '../../src/cli.js';
import { memoryIo } from '../cli/io.js';
import { call, cookiesFrom, hidden } from '../web/console/client.js';

// Issue 20, item 4: the incident report, built from the audit trail. The simulated gateway; a clock
// the test moves, so every duration in the report is one the test set and can count by hand.
useMsw();
const WINDOW_MS = 295_000;

const event = (errorRate: number) => unhealthy('openai', { error_rate: errorRate, requests: 60, window_seconds: 60, model_group: undefined, sample_errors: ['503 Service Unavailable: upstream connect error'] });

/** An incident that opened, was proposed, approved by alice 40 s later, executed and verified 295 s after. */
async function decidedIncident(agent: RunningAgent, time: SteppedTime) {
  await post(agent.base, '/v1/events', event(0.7), INGEST_TOKEN);
  await agent.agent.tick();
  const [p] = (await get(agent.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
  time.at += 40_000;
  expect((await post(agent.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve', reason: 'openai status page confirms' }, ALICE)).status).toBe(200);
  time.at += WINDOW_MS;
  await agent.agent.tick();
  return { incidentId: p.incident_id as string, proposalId: p.id as string };
}

async function auditRows(db: TestDatabase) {
  return queryRows<{ seq: number; hash: string; kind: string; occurred_at: Date }>(db.db, sql`select seq::int as seq, hash, kind, occurred_at from sre_actions order by seq`);
}

async function runCli(argv: string[], env: Record<string, string>) {
  const io = memoryIo({ NODE_ENV: 'test', PORT: '0', SRE_API_TOKENS: `alice:${ALICE}`, ...env }, false);
  const code = await main(argv, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describe('the incident report', () => {
  it('cites an existing audit row on every line, and its durations match a hand count from the trail', async ({ db, time, startStepped }) => {
    const a = await startStepped();
    const { incidentId } = await decidedIncident(a, time);
    const r = await get(a.base, `/v1/incidents/${incidentId}/report`, ALICE);
    expect(r.status).toBe(200);
    const report = r.body;

    const trail = await auditRows(db);
    const bySeq = new Map(trail.map((t) => [t.seq, t]));
    const lines = [...report.timeline, ...report.decisions, ...report.evidence, ...report.risk, ...report.executions, ...report.brakes];
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) {
      expect(l.cites.length).toBeGreaterThan(0);
      for (const c of l.cites) expect(bySeq.get(c.seq)?.hash.slice(0, 12), `${l.text} cites #${c.seq}`).toBe(c.hash);
      expect(bySeq.get(l.audit_seq)?.hash.slice(0, 12), `${l.text} (audit_seq)`).toBe(l.audit_hash);
    }

    // By hand: the first row of each kind, from the trail itself.
    const at = (kind: string) => new Date(trail.find((t) => t.kind === kind)!.occurred_at).getTime();
    const took = Object.fromEntries(report.steps.map((d: { step: string; ms: number }) => [d.step, d.ms]));
    expect(took).toEqual({
      detect_to_propose: at('proposal.created') - at('incident.opened'),
      propose_to_decide: at('proposal.approved') - at('proposal.created'),
      decide_to_execute: at('execution.succeeded') - at('proposal.approved'),
      execute_to_verify: at('verification.passed') - at('execution.succeeded'),
    });
    // CONTRACT.md's durations: from detection to each step.
    expect(report.durations).toEqual({
      to_proposal_ms: at('proposal.created') - at('incident.opened'),
      to_decision_ms: at('proposal.approved') - at('incident.opened'),
      to_execution_ms: at('execution.succeeded') - at('incident.opened'),
      to_verification_ms: at('verification.passed') - at('incident.opened'),
    });
    // The trail is stamped by the database's clock (the agent's clock here is the test's), so the
    // figures are the trail's own, never the test clock's 40 s and 295 s.

    expect(report.decisions.map((l: { text: string }) => l.text)).toEqual([expect.stringMatching(/^Approved by alice through api: openai status page confirms\.$/)]);
    expect(report.evidence[0].text).toMatch(/read as provider outage \(1 sample\)/);
    expect(report.executions.map((l: { text: string }) => l.text)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Execution started by the agent/), expect.stringMatching(/^Executed; the gateway answered/), expect.stringMatching(/^Verified/)]),
    );
    expect(report.risk[0].text).toMatch(/^Score \d+: /);
  });

  it('answers Markdown to Accept: text/markdown, JSON otherwise, 400 on an unknown format and 404 for no incident', async ({ time, startStepped }) => {
    const a = await startStepped();
    const { incidentId } = await decidedIncident(a, time);
    const md = await fetch(`${a.base}/v1/incidents/${incidentId}/report`, { headers: { authorization: `Bearer ${ALICE}`, accept: 'text/markdown, application/json;q=0.5' } });
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toMatch(/^text\/markdown/);
    const text = await md.text();
    expect(text).toMatch(/^# Incident inc_/);
    expect(text).toMatch(/\| Propose → decide \| [^|]+ \| #\d+ [0-9a-f]{12} → #\d+ [0-9a-f]{12} \|/);
    expect(text).toMatch(/_\(audit #\d+ [0-9a-f]{12}\)_/);

    const json = await fetch(`${a.base}/v1/incidents/${incidentId}/report`, { headers: { authorization: `Bearer ${ALICE}`, accept: 'application/json' } });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await get(a.base, `/v1/incidents/${incidentId}/report?format=pdf`, ALICE)).status).toBe(400);
    const missing = await get(a.base, '/v1/incidents/inc_nope/report', ALICE);
    expect(missing.status).toBe(404);
    expect(missing.body.detail ?? missing.body.error ?? JSON.stringify(missing.body)).toMatch(/No incident inc_nope/);
    expect((await get(a.base, `/v1/incidents/${incidentId}/report`)).status).toBe(401);
  });

  it('names a pause that was in force when the incident opened, and its resume', async ({ time, startStepped }) => {
    const a = await startStepped();
    expect((await post(a.base, '/v1/pause', { reason: 'gateway deploy' }, ALICE)).status).toBe(200);
    time.at += 5_000;
    await post(a.base, '/v1/events', event(0.7), INGEST_TOKEN);
    await a.agent.tick();
    time.at += 5_000;
    expect((await post(a.base, '/v1/resume', { reason: 'deploy done' }, ALICE)).status).toBe(200);
    const [p] = (await get(a.base, '/v1/proposals', ALICE)).body.proposals;
    const report = (await get(a.base, `/v1/incidents/${p.incident_id}/report`, ALICE)).body;
    expect(report.brakes.map((l: { text: string }) => l.text)).toEqual([expect.stringMatching(/^The agent was paused by alice through api: gateway deploy\.$/), expect.stringMatching(/^The agent was resumed by alice: deploy done\.$/)]);
  });

  it('names the silence that held the incident, and its end', async ({ time, startStepped }) => {
    const a = await startStepped();
    const made = await post(a.base, '/v1/silences', { matchers: { provider: 'openai' }, ends_at: new Date(time.at + 3_600_000).toISOString(), reason: 'openai migration' }, ALICE);
    expect(made.status).toBe(201);
    await post(a.base, '/v1/events', { ...event(0.7), occurred_at: time.clock.now().toISOString() }, INGEST_TOKEN);
    await a.agent.tick();
    expect((await get(a.base, '/v1/proposals', ALICE)).body.proposals).toEqual([]);
    const ended = await fetch(`${a.base}/v1/silences/${made.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ALICE}` } });
    expect(ended.status).toBe(200);
    await a.agent.tick();
    const [p] = (await get(a.base, '/v1/proposals', ALICE)).body.proposals;
    const report = (await get(a.base, `/v1/incidents/${p.incident_id}/report`, ALICE)).body;
    const brakes = report.brakes.map((l: { text: string }) => l.text);
    expect(brakes).toEqual(expect.arrayContaining([expect.stringMatching(/^Held by a silence until .*, made by alice: openai migration\.$/), 'The silence ended; the incident proceeds.', expect.stringMatching(/^1 event arrived while silenced/)]));
  });

  it('summarises 10,000 events in a few lines rather than one line per event: counts, first and last, the busiest minute, the peaks', async ({ db, time, startStepped }) => {
    const a = await startStepped();
    const { incidentId } = await decidedIncident(a, time);
    const deps = a.agent.deps;
    // 20 batches two minutes apart; each spreads its 500 events over 100 s (300 in one minute, 200
    // in the next) except batch 7, whose 500 fall in one minute. One event peaks at 97 %.
    const base = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    const at = (b: number, i: number) => base + b * 120_000 + i * (b === 7 ? 100 : 200);
    const rate = (b: number, i: number) => (b === 13 && i === 250 ? 0.97 : 0.6 + (i % 10) / 100);
    for (let b = 0; b < 20; b++) {
      const batch = Array.from({ length: 500 }, (_, i) => ({ event: { ...event(rate(b, i)), id: `evt_bulk_${b}_${i}`, occurred_at: new Date(at(b, i)).toISOString() }, via: 'http' as const }));
      time.at += 1_000;
      await ingestEvents(deps, batch as never);
    }
    const report = (await get(a.base, `/v1/incidents/${incidentId}/report`, ALICE)).body;
    expect(report.incident.event_count).toBe(10_001);
    const texts = report.events.map((l: { text: string }) => l.text);
    expect(texts[0]).toMatch(/^10001 events received in 21 batches\.$/);
    expect(report.events[0].cites).toHaveLength(2);
    const utc = (ms: number) => `${new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(ms))} UTC`;
    expect(texts[1]).toMatch(new RegExp(`^Events occurred from .+ UTC to ${utc(at(19, 499))} \\(\\d+ min\\): provider\\.unhealthy 10,001\\.$`));
    // By hand: 19 batches over two minutes each, batch 7 in one, and the first event's own minute.
    expect(texts[2]).toBe(`Busiest minute: 500 events from ${utc(at(7, 0))}; 40 minutes saw events, 250 a minute on average.`);
    expect(texts).toContain(`Peak error rate 97 % at ${utc(at(13, 250))}; the latest 69 %.`);
    // The peak cites the batch that carried its event, and that row's hash is the trail's.
    const peak = report.events.find((l: { text: string }) => l.text.startsWith('Peak error rate'));
    const trail = await auditRows(db);
    const batches = trail.filter((t) => t.kind === 'events.received');
    expect(peak.audit_seq).toBe(batches[14]!.seq);
    expect(peak.audit_hash).toBe(batches[14]!.hash.slice(0, 12));
    // Readable: a bounded report, however many events.
    expect(report.events.length).toBeLessThanOrEqual(8);
    expect(report.timeline.length).toBeLessThan(40);
    const md = await fetch(`${a.base}/v1/incidents/${incidentId}/report`, { headers: { authorization: `Bearer ${ALICE}`, accept: 'text/markdown' } });
    expect((await md.text()).split('\n').length).toBeLessThan(100);
  });

  it('prints the report from the command line, Markdown by default, and exits 1 for an unknown incident', async ({ db, time, startStepped }) => {
    const a = await startStepped();
    const { incidentId } = await decidedIncident(a, time);
    const env = { DATABASE_URL: db.url };
    const md = await runCli(['report', 'incident', incidentId], env);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# Incident /);
    const json = await runCli(['report', 'incident', incidentId, '--format', 'json'], env);
    expect(JSON.parse(json.stdout).incident.id).toBe(incidentId);
    const missing = await runCli(['report', 'incident', 'inc_nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No incident inc_nope/);
    const bad = await runCli(['report', 'incident', incidentId, '--format', 'pdf'], env);
    expect(bad.code).toBe(2);
  });
});

describe('response times in the tuning report', () => {
  it('match a hand count from the audit trail, per action and overall', async ({ db, time, startStepped }) => {
    const a = await startStepped();
    await decidedIncident(a, time);
    const trail = await auditRows(db);
    const at = (kind: string) => new Date(trail.find((t) => t.kind === kind)!.occurred_at).getTime();
    const r = (await get(a.base, '/v1/report?since=30d', ALICE)).body;
    const cb = r.actions.find((x: { action: string }) => x.action === 'circuit_break_provider');
    const opened = at('incident.opened');
    for (const f of [cb.response, r.response]) {
      expect(f.to_proposal).toEqual({ p50_ms: at('proposal.created') - opened, p90_ms: at('proposal.created') - opened, count: 1 });
      expect(f.to_decision.p50_ms).toBe(at('proposal.approved') - opened);
      expect(f.to_execution.p50_ms).toBe(at('execution.succeeded') - opened);
      expect(f.to_verification.p50_ms).toBe(at('verification.passed') - opened);
    }
    expect(r.incidents).toEqual({ closed: 0, closed_without_action: 0 });
  });
});

describe('the console', () => {
  it('links the report from the proposal and incidents pages, and shows it with each line citing its row', async ({ time, startStepped }) => {
    const a = await startStepped();
    const { incidentId, proposalId } = await decidedIncident(a, time);
    const port = Number(new URL(a.base).port);
    const form = await call(port, 'GET', '/sre/login');
    const jar0 = cookiesFrom(form);
    const login = await call(port, 'POST', '/sre/login', { headers: { cookie: jar0 }, form: { csrf: hidden(form.body, 'csrf')!, next: '/sre', token: ALICE } });
    expect(login.status).toBe(303);
    const jar = cookiesFrom(login, jar0);
    const href = `/sre/incidents/${incidentId}/report`;
    expect((await call(port, 'GET', `/sre/proposals/${proposalId}`, { headers: { cookie: jar } })).body).toContain(`href="${href}"`);
    expect((await call(port, 'GET', '/sre/incidents', { headers: { cookie: jar } })).body).toContain(`href="${href}"`);
    const page = await call(port, 'GET', href, { headers: { cookie: jar } });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/Approved by alice through api/);
    expect(page.body).toMatch(/Propose → decide<\/td><td>[^<]+<\/td><td><a class="meta" href="\/sre\/audit\?incident=inc_[^"]+" title="audit row \d+, hash [0-9a-f]{12}…">#\d+ [0-9a-f]{12}<\/a>/);
    expect((await call(port, 'GET', '/sre/incidents/inc_nope/report', { headers: { cookie: jar } })).status).toBe(404);
  });
});

describe('the report builder', () => {
  const row = (seq: number, kind: string, payload: Record<string, unknown> = {}, at = seq * 1000, actor = 'agent'): ReportRow => ({
    seq,
    hash: `${seq}`.padStart(64, 'a'),
    occurredAt: new Date(Date.UTC(2026, 10, 23, 14) + at),
    kind,
    actorType: actor === 'agent' ? 'agent' : 'user',
    actor,
    proposalId: 'prp_1',
    payload,
  });
  const incident = { id: 'inc_1', type: 'provider.unhealthy', subject: 'openai', status: 'closed', firstSeen: new Date(0), lastSeen: new Date(0), closedAt: new Date(0), eventCount: 3 };

  it('keeps operator text from opening Markdown structure of its own', () => {
    const r = buildIncidentReport(incident, [row(1, 'incident.opened', { type: 'provider.unhealthy', subject: 'openai' }), row(2, 'proposal.rejected', { channel: 'slack', reason: '# not now\n| x | [link](javascript:alert(1))' }, 2000, 'bob')], new Date(0));
    const md = reportMarkdown(r);
    expect(md).not.toMatch(/^# not now/m);
    expect(md).toContain('\\# not now \\| x \\| \\[link\\](javascript:alert(1))');
  });

  it('reports no duration for a step that did not happen', () => {
    const r = buildIncidentReport(incident, [row(1, 'incident.opened'), row(2, 'proposal.created', { summary: 'circuit-break openai for 300s' }), row(3, 'proposal.expired')], new Date(0));
    expect(r.steps.map((d) => d.step)).toEqual(['detect_to_propose']);
    expect(r.summary).toMatch(/no action executed/);
  });
});
