import { describe, expect } from 'vitest';
import { closeQuietIncidents } from '../../src/ingest/close-quiet.js';
import { loadProposal } from '../../src/proposals/index.js';
import { proposalPage } from '../../src/web/console/pages/proposal.js';
import { ALICE, INGEST_TOKEN, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import { steppedTest as it, type SteppedTime } from '../support/stepped.js';

/**
 * Past incidents (issue 19, item 5) through the whole agent: a circuit-break whose verification
 * failed (and was reverted) raises the next circuit-break on the same provider by its own factor,
 * `recent_failed_verification`, and the playbook's reasoning says what happened last time. A
 * break that was verified adds no factor, and its reasoning says "verified".
 */

const WINDOW_MS = 295_000; // a 300 s circuit-break is judged 5 s before it restores itself
const QUIET_MS = 30 * 60_000;

const SAMPLES = ['503 Service Unavailable: upstream connect error'];
const event = (errorRate: number) => unhealthy('openai', { error_rate: errorRate, requests: 60, window_seconds: 60, model_group: undefined, sample_errors: SAMPLES });

interface View {
  id: string;
  incident_id: string;
  action: string;
  target: string;
  reasoning: string;
  risk_factors: { name: string; delta: number; reason: string }[];
  verification: { status: string };
  past_incidents?: { line: string; verification_failed: boolean; incident_id: string }[];
}

const view = async (agent: RunningAgent, id: string): Promise<View> => (await get(agent.base, `/v1/proposals/${id}`, ALICE)).body as View;

/** An incident whose circuit-break alice approves; with `worse`, an event at a worse rate follows and the verification fails. */
async function firstIncident(agent: RunningAgent, time: SteppedTime, worse: boolean): Promise<View> {
  await post(agent.base, '/v1/events', event(0.7), INGEST_TOKEN);
  await agent.agent.tick();
  const [p] = (await get(agent.base, '/v1/proposals?status=pending', ALICE)).body.proposals as View[];
  expect(p).toMatchObject({ action: 'circuit_break_provider', target: 'provider:openai' });
  const r = await post(agent.base, `/v1/proposals/${p!.id}/decision`, { decision: 'approve' }, ALICE);
  expect(r.body.status).toBe('succeeded');
  time.at += 30_000;
  if (worse) await post(agent.base, '/v1/events', event(0.9), INGEST_TOKEN);
  time.at += WINDOW_MS;
  await agent.agent.tick(); // the verdict (and, when it failed, the revert is due)
  await agent.agent.tick(); // the revert
  time.at += WINDOW_MS;
  await agent.agent.tick(); // the revert's own check
  // Quiet for the whole period: the incident closes, and the next event opens another.
  time.at += QUIET_MS + 60_000;
  expect(await closeQuietIncidents(agent.agent.deps, QUIET_MS)).toEqual([p!.incident_id]);
  return view(agent, p!.id);
}

async function secondProposal(agent: RunningAgent, time: SteppedTime, first: View): Promise<View> {
  time.at += 60_000;
  await post(agent.base, '/v1/events', event(0.7), INGEST_TOKEN);
  await agent.agent.tick();
  const all = (await get(agent.base, '/v1/proposals', ALICE)).body.proposals as View[];
  const p = all.find((x) => x.incident_id !== first.incident_id);
  if (!p) throw new Error('no proposal for the second incident');
  return view(agent, p.id);
}

describe('past incidents and a recent failed verification', () => {
  it('a circuit-break that failed its verification and was reverted adds recent_failed_verification to the next one on the provider', async ({ time, startStepped }) => {
    const a = await startStepped();
    const first = await firstIncident(a, time, true);
    expect(first.verification.status).toBe('reverted');
    const second = await secondProposal(a, time, first);
    expect(second).toMatchObject({ action: 'circuit_break_provider', target: 'provider:openai' });
    const factor = second.risk_factors.find((f) => f.name === 'recent_failed_verification');
    expect(factor).toMatchObject({ delta: 15, reason: expect.stringMatching(/^circuit_break_provider on provider:openai failed its verification \d+ min ago and was reverted: 1 event\(s\) at the same or worse severity/) });
    expect(second.reasoning).toMatch(/Last time on this subject with the same failure \(provider outage\): circuit-break openai for \d+s, approved by alice through the JSON API, verification failed, reverted\./);
    expect(second.past_incidents).toEqual([expect.objectContaining({ incident_id: first.incident_id, verification_failed: true, line: expect.stringMatching(/verification failed, reverted$/) })]);
    // The console's proposal page reads the same lines.
    const data = await loadProposal(a.agent.deps, { id: second.id });
    const html = proposalPage({ user: 'alice', csrf: 'c', now: time.clock.now(), policy: { threshold: 40, autoApprove: false, twoPersonScore: 75, mode: 'live' }, data: data! });
    expect(html).toMatch(/<h2 id="h-last-time">Last time<\/h2><ul class="last-time"><li data-verification="failed"><a href="\/sre\/proposals\/[^"]+">.*<\/a>: circuit-break openai for \d+s, approved by alice through the JSON API, verification failed, reverted<\/li><\/ul>/);
  });

  it('a circuit-break that was verified adds no such factor, and last time reads "verified"', async ({ time, startStepped }) => {
    const a = await startStepped();
    const first = await firstIncident(a, time, false);
    expect(first.verification.status).toBe('passed');
    const second = await secondProposal(a, time, first);
    expect(second.action).toBe('circuit_break_provider');
    expect(second.risk_factors.map((f) => f.name)).not.toContain('recent_failed_verification');
    expect(second.reasoning).toMatch(/Last time on this subject with the same failure \(provider outage\): circuit-break openai for \d+s, approved by alice through the JSON API, verified\./);
  });

  it('a first incident on a provider has no past incidents and no factor', async ({ startStepped }) => {
    const a = await startStepped();
    await post(a.base, '/v1/events', event(0.7), INGEST_TOKEN);
    await a.agent.tick();
    const [p] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals as View[];
    const v = await view(a, p!.id);
    expect(v.past_incidents).toEqual([]);
    expect(v.reasoning).not.toMatch(/Last time/);
    expect(v.risk_factors.map((f) => f.name)).not.toContain('recent_failed_verification');
  });
});
