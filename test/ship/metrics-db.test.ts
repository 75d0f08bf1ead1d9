import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents, outbox, proposals } from '../../src/db/schema/index.js';
import { createMetrics, databaseCollector } from '../../src/metrics.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await freshPostgres();
});
afterAll(async () => {
  await t?.dispose();
});

const now = new Date();
const incident = (id: string, key: string, status: string) => ({
  id, key, status, type: 'provider.unhealthy', subject: key, firstSeen: now, lastSeen: now, latest: {}, first: {},
});
const proposal = (id: string, incidentId: string, status: string) => ({
  id, incidentId, status, action: 'circuit_break_provider', target: 'openai', params: {}, riskScore: 15, riskFactors: [],
  route: 'gate', reasoning: 'r', reasoner: 'playbook', expiresAt: new Date(now.getTime() + 3_600_000),
});

/** The sample value of `name{labels}` in the Prometheus text (labels written exactly as rendered). */
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('databaseCollector', () => {
  it('scrapes proposals by state, open incidents and the outbox depth from the database', async () => {
    await t.db.insert(incidents).values([incident('inc_1', 'a', 'open'), incident('inc_2', 'b', 'open'), incident('inc_3', 'c', 'closed')]);
    await t.db.insert(proposals).values([proposal('prp_1', 'inc_1', 'pending'), proposal('prp_2', 'inc_2', 'pending'), proposal('prp_3', 'inc_3', 'succeeded')]);
    await t.db.insert(outbox).values([
      { channel: 'slack', kind: 'proposal', payload: {} },
      { channel: 'email', kind: 'proposal', payload: {} },
      { channel: 'email', kind: 'proposal', payload: {}, status: 'dead' },
    ]);
    const m = createMetrics({ defaultMetrics: false });
    m.setCollector(databaseCollector(m, t.db));

    let text = await m.render();
    expect(value(text, 'sre_proposals_current{status="pending"}')).toBe(2);
    expect(value(text, 'sre_proposals_current{status="succeeded"}')).toBe(1);
    expect(value(text, 'sre_proposals_current{status="rejected"}')).toBe(0);
    expect(value(text, 'sre_incidents_open')).toBe(2);
    expect(value(text, 'sre_dispatcher_queue_depth')).toBe(2);

    // A state that empties shows 0 on the next scrape, not its last count.
    await t.db.update(proposals).set({ status: 'rejected' });
    text = await m.render();
    expect(value(text, 'sre_proposals_current{status="pending"}')).toBe(0);
    expect(value(text, 'sre_proposals_current{status="rejected"}')).toBe(3);
  });
});
