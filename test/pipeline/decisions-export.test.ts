import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/db/client.js';
import { exportDecisions } from '../../src/proposals/index.js';
import { readingClock } from '../support/clock.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

/**
 * What `eval export` chooses (issue 19, item 4): incidents a person decided, each by its first
 * decided proposal, and the history as it stood when that proposal was made.
 */

const T = Date.UTC(2026, 10, 24, 10, 0, 0);
const at = (min: number) => new Date(T + min * 60_000);
let db: TestDatabase;

async function incident(id: string, key = 'provider:openai') {
  const latest = { provider: 'openai', error_rate: 0.7, requests: 1200, window_seconds: 60 };
  await db.db.insert(schema.incidents).values({ id, key, type: 'provider.unhealthy', subject: 'provider openai', status: 'closed', firstSeen: at(-120), lastSeen: at(0), eventCount: 1, latest, first: latest, openedAt: at(-120) });
}

async function proposal(id: string, incidentId: string, o: { created: number; status: string; by?: string; via?: string; decided?: number; reason?: string; updated?: number; target?: string }) {
  await db.db.insert(schema.proposals).values({
    id,
    incidentId,
    status: o.status,
    action: 'circuit_break_provider',
    target: o.target ?? 'provider:openai',
    params: { provider: 'openai', duration_seconds: 120, reason: 'errors' },
    riskScore: 30,
    riskFactors: [],
    route: 'gate',
    reasoning: 'because',
    reasoner: 'playbook',
    createdAt: at(o.created),
    updatedAt: at(o.updated ?? o.decided ?? o.created),
    expiresAt: at(o.created + 1440),
    decidedBy: o.by ?? null,
    decidedVia: o.via ?? null,
    decidedAt: o.decided === undefined ? null : at(o.decided),
    decisionReason: o.reason ?? null,
  });
}

beforeAll(async () => {
  db = await freshPostgres();
  for (const i of ['inc_a', 'inc_b', 'inc_c', 'inc_d', 'inc_old']) await incident(i);
  await incident('inc_other', 'provider:anthropic');
  await proposal('prp_a', 'inc_a', { created: -120, status: 'rejected', by: 'carol', via: 'slack', decided: -60, reason: 'too soon' });
  // The incident decided twice: its first decided proposal is the line.
  await proposal('prp_b1', 'inc_b', { created: 0, status: 'succeeded', by: 'alice', via: 'console', decided: 5 });
  await proposal('prp_b2', 'inc_b', { created: 10, status: 'rejected', by: 'bob', via: 'slack', decided: 12, reason: 'enough' });
  // Decided by nobody before prp_b1 was made: pending then, whatever it is now.
  await proposal('prp_c', 'inc_c', { created: -30, status: 'expired', updated: 60 });
  // Auto-approved by the policy: not a person's decision.
  await proposal('prp_d', 'inc_d', { created: -10, status: 'succeeded', by: 'system:policy', via: 'policy', decided: -10 });
  // Older than the window of the export, and than prp_b1's history.
  await proposal('prp_old', 'inc_old', { created: -30 * 1440, status: 'rejected', by: 'carol', via: 'slack', decided: -30 * 1440 + 5 });
  await proposal('prp_other', 'inc_other', { created: -5, status: 'rejected', by: 'dan', via: 'api', decided: -4, target: 'provider:anthropic' });
});
afterAll(() => db.dispose());

describe('eval export', () => {
  it('exports each incident a person decided by its first decided proposal, oldest first', async () => {
    const r = await exportDecisions({ db: db.db, clock: readingClock(() => at(60)) }, { since: '7d' });
    expect(r.skipped).toEqual([]);
    expect(r.records.map((x) => [x.proposal.id, x.decision.decision, x.decision.by, x.decision.via, x.decision.reason])).toEqual([
      ['prp_a', 'rejected', 'carol', 'slack', 'too soon'],
      ['prp_other', 'rejected', 'dan', 'api', null],
      ['prp_b1', 'approved', 'alice', 'console', null],
    ]);
    // Made before reads were recorded: the replay reads nothing.
    expect(r.records.every((x) => x.gateway_reads === null && x.events.length === 0)).toBe(true);
  });

  it("gives a proposal's history as it stood when it was made, newest first", async () => {
    const r = await exportDecisions({ db: db.db, clock: readingClock(() => at(60)) }, { since: '7d' });
    const b1 = r.records.find((x) => x.proposal.id === 'prp_b1')!;
    expect(b1.history.map((h) => [h.proposal_id, h.status, h.decided_by, h.decision_reason])).toEqual([
      ['prp_d', 'succeeded', 'system:policy', null],
      ['prp_c', 'pending', null, null],
      ['prp_a', 'rejected', 'carol', 'too soon'],
    ]);
    expect(r.records.find((x) => x.proposal.id === 'prp_a')!.history).toEqual([]);
  });
});
