import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardJson } from '../../scripts/deploy/dashboard.js';
import { ALICE, INGEST_TOKEN, get, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { sample } from '../ship/support.js';
import { AWAITED_RULES_FILE, RULES_FILE, dashboardQueries, exportedMetrics, parsePromql, problemsWith, ruleGroups, withDeclaredLabels, type Exported } from './support.js';
import { eventually } from '../support/eventually.js';

/**
 * The alert rules and the dashboard against a real scrape: a running agent (PostgreSQL, Redis
 * stream) after traffic that fills the labelled series, so a rule or panel naming a metric or a
 * label the agent does not export fails here.
 */
describe('the rules and the dashboard name only what /metrics exports', () => {
  let d: TestDatabase;
  let a: RunningAgent;
  let r: ReturnType<typeof createClient>;
  let scrape = '';
  let exported: Exported;
  const stream = `sre-test:${randomBytes(5).toString('hex')}`;

  beforeAll(async () => {
    d = await freshPostgres();
    r = createClient({ url: TEST_REDIS_URL });
    r.on('error', () => {});
    await r.connect();
    // Two entries a replica read and never acknowledged: pending, and not claimed within an hour.
    await r.xGroupCreate(stream, 'sre-agent', '0', { MKSTREAM: true });
    for (const i of [1, 2]) await r.xAdd(stream, '*', { event: JSON.stringify(unhealthy(`held-${i}`)) });
    await r.xReadGroup('sre-agent', 'gone-replica', { key: stream, id: '>' }, { COUNT: 10 });
    a = await startAgent(d, { REDIS_URL: TEST_REDIS_URL, SRE_EVENT_STREAM: stream, SRE_CONSUMER_NAME: 'metrics-test', SRE_STREAM_CLAIM_IDLE: '1h', SRE_MODE: 'shadow' });
    expect((await post(a.base, '/v1/events', unhealthy('openai', { requests: 60 }), INGEST_TOKEN)).status).toBe(202);
    await a.agent.tick();
    // In shadow mode an approval meets the gate's first check: a refusal by reason.
    const [pending] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
    expect((await post(a.base, `/v1/proposals/${pending.id}/decision`, { decision: 'approve' }, ALICE)).status).toBe(200);
    expect((await post(a.base, '/v1/pause', { reason: 'metrics test' }, ALICE)).status).toBe(200);
    await post(a.base, '/v1/events', [{ id: 'not-an-event' }], INGEST_TOKEN);
    await get(a.base, '/v1/proposals?status=pending', 'wrong-token-0123456789');
    // The consumer reads the group's counts on its own loop: wait for them (bounded).
    await eventually(async () => sample((scrape = (await get(a!.base, '/metrics')).body as string), 'sre_stream_pending') === 2, { what: 'the stream group counts in /metrics', timeoutMs: 10_000 });
    exported = withDeclaredLabels(exportedMetrics(scrape), a.agent.deps.metrics!.registry);
  });
  afterAll(async () => {
    await a?.stop();
    await r?.del([stream, `${stream}:dead`]);
    await r?.close();
    await d?.dispose();
  });

  it('the scrape carries the metrics the rules need, set from the agent\'s state', () => {
    expect(sample(scrape, 'sre_ready')).toBe(1);
    expect(sample(scrape, 'sre_stream_pending')).toBe(2);
    expect(sample(scrape, 'sre_agent_paused')).toBe(1);
    expect(sample(scrape, 'sre_gate_refusals_total', { check: 'shadow', code: 'shadow', operation: 'execute' })).toBe(1);
    expect(sample(scrape, 'sre_verifications_current', { status: 'none' })).toBe(1);
    expect(sample(scrape, 'sre_work_due', { kind: 'propose' })).toBe(0);
    expect(exported.names).toContain('sre_incident_to_proposal_seconds_bucket');
    expect(exported.labels.get('sre_incident_to_proposal_seconds_bucket')).toContain('le');
  });

  it('every alert rule parses as PromQL and names only exported metrics and labels', () => {
    const rules = ruleGroups(RULES_FILE).flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    const problems = rules.flatMap((rule) => problemsWith(rule.expr, exported).map((p) => `${rule.alert}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('every dashboard panel query parses as PromQL and names only exported metrics and labels', () => {
    const queries = dashboardQueries(JSON.parse(dashboardJson()) as { panels?: unknown[] });
    expect(queries.length).toBeGreaterThanOrEqual(25);
    const problems = queries.flatMap((q) => problemsWith(q.expr, exported).map((p) => `${q.panel}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('the check itself refuses an unknown metric, an unknown label and a syntax error', () => {
    expect(problemsWith('rate(sre_incidents_total[5m])', exported)).toEqual(['sre_incidents_total is not on /metrics']);
    expect(problemsWith('sre_work_due{knd="propose"}', exported)).toEqual(['sre_work_due has no label knd']);
    expect(problemsWith('sum by (channel) (sre_model_fallbacks_total)', exported)).toEqual(['no metric under "(channel)" has the label channel']);
    expect(() => parsePromql('sum(rate(sre_consumer_lag[5m])')).toThrow(/syntax error/);
  });

  it('the awaited rules wait only for metrics not yet exported; once one is, its group moves into the rules file', () => {
    for (const group of ruleGroups(AWAITED_RULES_FILE)) {
      const names = group.rules.flatMap((rule) => parsePromql(rule.expr).selectors.map((s) => s.metric));
      const awaited = names.filter((n) => !exported.names.has(n) && n !== 'up');
      expect(awaited, `group ${group.name} of ${AWAITED_RULES_FILE} waits for nothing: its metrics are exported now, so move it into ${RULES_FILE} (and run npm run deploy:generate)`).not.toEqual([]);
      expect([...new Set(awaited)].sort()).toEqual(
        [...new Set(names.filter((n) => n.startsWith('sre_audit_checkpoint') || n === 'sre_replicas_alive'))].sort(),
      );
    }
  });
});
