import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import { schema } from '../../src/db/client.js';
import { pastIncidentLine } from '../../src/domain/past-incidents.js';
import { pastIncidents } from '../../src/proposals/index.js';
import { freshPglite, freshPostgres, type TestDatabase } from '../support/db.js';

/**
 * The past-incidents read model (issue 19, item 5) over several incidents: only those on the same
 * subject and of the same failure class count, newest first, at most three, each with what was
 * proposed, who decided through which channel, and the verification's outcome.
 */

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const at = (h: number) => new Date(T0 + h * 3_600_000);
const OUTAGE = ['503 Service Unavailable'];
const QUOTA = ['429 insufficient_quota: You exceeded your current quota, please check your plan and billing details'];

let db: TestDatabase;

async function incident(id: string, o: { key?: string; hour: number; samples?: string[]; status?: string }) {
  const latest = { provider: 'openai', error_rate: 0.7, requests: 1200, window_seconds: 60, ...(o.samples ? { sample_errors: o.samples } : {}) };
  await db.db.insert(schema.incidents).values({
    id,
    key: o.key ?? 'provider:openai',
    type: 'provider.unhealthy',
    subject: 'provider openai',
    status: o.status ?? 'closed',
    firstSeen: at(o.hour),
    lastSeen: at(o.hour),
    eventCount: 1,
    latest,
    first: latest,
    openedAt: at(o.hour),
    closedAt: o.status === 'open' ? null : at(o.hour + 1),
  });
}

async function proposal(id: string, incidentId: string, o: { hour: number; status: string; by?: string; via?: string; reason?: string; verification?: string; revertedBy?: string; action?: string; params?: Record<string, unknown>; target?: string }) {
  await db.db.insert(schema.proposals).values({
    id,
    incidentId,
    status: o.status,
    action: o.action ?? 'circuit_break_provider',
    target: o.target ?? 'provider:openai',
    params: o.params ?? { provider: 'openai', duration_seconds: 120, reason: 'errors' },
    riskScore: 30,
    riskFactors: [],
    route: 'gate',
    reasoning: 'because',
    reasoner: 'playbook',
    createdAt: at(o.hour),
    updatedAt: at(o.hour),
    expiresAt: at(o.hour + 24),
    decidedBy: o.by ?? null,
    decidedVia: o.via ?? null,
    decidedAt: o.by ? at(o.hour) : null,
    decisionReason: o.reason ?? null,
    verificationStatus: o.verification ?? 'none',
    revertedBy: o.revertedBy ?? null,
  });
}

const failedVerification = (proposalId: string, incidentId: string) =>
  appendAudit(db.db, { kind: 'verification.failed', actor: { type: 'system', name: 'verifier' }, incidentId, proposalId, payload: { operation: 'execute', reason: 'it did not help', evidence: {}, next: 'revert' } });

async function seed() {
  // The incident shown: open, an outage on openai.
  await incident('inc_now', { hour: 100, samples: OUTAGE, status: 'open' });
  // Same subject, same class: four of them (only the newest three count).
  await incident('inc_a', { hour: 90, samples: OUTAGE });
  await proposal('prp_a', 'inc_a', { hour: 90, status: 'succeeded', by: 'Alice (slack U0A)', via: 'slack', verification: 'reverted', revertedBy: 'system:verifier' });
  await failedVerification('prp_a', 'inc_a');
  await incident('inc_b', { hour: 80, samples: OUTAGE });
  await proposal('prp_b0', 'inc_b', { hour: 80, status: 'superseded' });
  await proposal('prp_b', 'inc_b', { hour: 80.5, status: 'rejected', by: 'bob', via: 'console', reason: 'the provider says it is fixed' });
  await incident('inc_c', { hour: 70, samples: OUTAGE });
  await proposal('prp_c', 'inc_c', { hour: 70, status: 'succeeded', by: 'system:policy', via: 'policy', verification: 'passed' });
  await incident('inc_d', { hour: 60, samples: OUTAGE });
  await proposal('prp_d', 'inc_d', { hour: 60, status: 'expired' });
  // Same subject, another class (quota): left out.
  await incident('inc_quota', { hour: 95, samples: QUOTA });
  await proposal('prp_quota', 'inc_quota', { hour: 95, status: 'succeeded', by: 'alice', via: 'api', verification: 'passed' });
  // Another subject, same class: left out.
  await incident('inc_other', { key: 'provider:anthropic', hour: 97, samples: OUTAGE });
  await proposal('prp_other', 'inc_other', { hour: 97, status: 'succeeded', by: 'alice', via: 'api', verification: 'passed', params: { provider: 'anthropic', duration_seconds: 60, reason: 'x' }, target: 'provider:anthropic' });
  // Later than the incident shown: not its past.
  await incident('inc_later', { hour: 110, samples: OUTAGE });
  await proposal('prp_later', 'inc_later', { hour: 110, status: 'rejected', by: 'bob', via: 'console' });
}

describe.each([
  ['PostgreSQL', freshPostgres],
  ['PGlite', freshPglite],
])('past incidents on %s', (_name, fresh) => {
  beforeEach(async () => {
    db = await fresh();
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('returns the last three on the same subject and of the same class, newest first, in words', async () => {
    await seed();
    const past = await pastIncidents({ db: db.db }, { incidentId: 'inc_now' });
    expect(past.map((p) => p.incidentId)).toEqual(['inc_a', 'inc_b', 'inc_c']);
    expect(past.map((p) => p.proposalId)).toEqual(['prp_a', 'prp_b', 'prp_c']);
    expect(past[0]).toMatchObject({ failureClass: 'provider_outage', action: 'circuit_break_provider', described: 'circuit-break openai for 120s', decidedBy: 'Alice (slack U0A)', decidedVia: 'slack', verificationFailed: true });
    expect(past.map(pastIncidentLine)).toEqual([
      'circuit-break openai for 120s, approved by Alice in Slack, verification failed, reverted',
      'circuit-break openai for 120s, rejected by bob in the console ("the provider says it is fixed")',
      'circuit-break openai for 120s, auto-approved by policy, verified',
    ]);
  });

  it('an incident of another class sees only its own class; another subject sees none of openai', async () => {
    await seed();
    // Closed itself (one open incident a key): the page of an old proposal shows its past too.
    await incident('inc_quota_now', { hour: 101, samples: QUOTA });
    const quota = await pastIncidents({ db: db.db }, { incidentId: 'inc_quota_now' });
    expect(quota.map((p) => p.incidentId)).toEqual(['inc_quota']);
    expect(quota[0]).toMatchObject({ failureClass: 'quota_exhausted', verification: 'passed', verificationFailed: false });
    const other = await pastIncidents({ db: db.db }, { incidentId: 'inc_other' });
    expect(other).toEqual([]);
    expect(await pastIncidents({ db: db.db }, { incidentId: 'inc_missing' })).toEqual([]);
  });

  it('an open incident with only a pending proposal is not yet the past; an expired one is', async () => {
    await incident('inc_now', { hour: 100, samples: OUTAGE, status: 'open' });
    await incident('inc_open', { key: 'latency:openai', hour: 90, samples: OUTAGE, status: 'open' });
    await proposal('prp_open', 'inc_open', { hour: 90, status: 'pending' });
    await incident('inc_exp', { key: 'latency:openai:gpt-4o', hour: 85, samples: OUTAGE, status: 'open' });
    await proposal('prp_exp', 'inc_exp', { hour: 85, status: 'expired' });
    // Neither shares the key: both count as the same subject through the proposal's target.
    const past = await pastIncidents({ db: db.db }, { incidentId: 'inc_now' });
    expect(past.map((p) => [p.incidentId, p.status])).toEqual([['inc_exp', 'expired']]);
  });
});
