import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents, proposals } from '../../src/db/schema/index.js';
import { createMetrics, databaseCollector } from '../../src/metrics.js';
import { sample } from '../ship/support.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

/** The metrics the alert rules and the dashboard added: readiness, and verification by status. */
describe('metrics for the rules and the dashboard', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await freshPostgres();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('sre_ready follows the readiness checks at each scrape, and reads 0 when they throw or the collector fails', async () => {
    const m = createMetrics({ defaultMetrics: false });
    let ready: boolean | Error = true;
    m.setReadiness(async () => {
      if (ready instanceof Error) throw ready;
      return { ok: ready };
    });
    expect(sample(await m.render(), 'sre_ready')).toBe(1);
    ready = false;
    expect(sample(await m.render(), 'sre_ready')).toBe(0);
    ready = new Error('database unreachable');
    expect(sample(await m.render(), 'sre_ready')).toBe(0);
    ready = true;
    m.setCollector(async () => {
      throw new Error('database unreachable');
    });
    const text = await m.render();
    expect(sample(text, 'sre_ready')).toBe(1);
    expect(sample(text, 'sre_metrics_collect_errors_total')).toBe(1);
  });

  it('sre_verifications_current counts proposals by verification status, every status present', async () => {
    const now = new Date();
    await t.db.insert(incidents).values({ id: 'inc_v', key: 'v', status: 'open', type: 'provider.unhealthy', subject: 'v', firstSeen: now, lastSeen: now, latest: {}, first: {} });
    const p = (id: string, status: string, verificationStatus: string) => ({
      id, incidentId: 'inc_v', status, verificationStatus, action: 'circuit_break_provider', target: 'openai', params: {}, riskScore: 15, riskFactors: [],
      route: 'gate', reasoning: 'r', reasoner: 'playbook', expiresAt: new Date(now.getTime() + 3_600_000),
    });
    await t.db.insert(proposals).values([p('prp_a', 'succeeded', 'passed'), p('prp_b', 'succeeded', 'failed'), p('prp_c', 'succeeded', 'passed'), p('prp_d', 'pending', 'none')]);
    const m = createMetrics({ defaultMetrics: false });
    m.setCollector(databaseCollector(m, t.db));
    const text = await m.render();
    expect(['none', 'pending', 'passed', 'failed', 'reverted'].map((status) => sample(text, 'sre_verifications_current', { status }))).toEqual([1, 0, 2, 1, 0]);
    expect(sample(text, 'sre_proposals_current', { status: 'succeeded' })).toBe(3);
    expect(sample(text, 'sre_proposals_current', { status: 'pending' })).toBe(1);
  });
});
