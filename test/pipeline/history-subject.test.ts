import { describe, expect } from 'vitest';
import { ALICE, INGEST_TOKEN, event, get, post, type RunningAgent } from '../support/agent.js';
import { agentTest as it } from '../support/fixtures.js';

/**
 * History across two incidents (issue 24, item 2): one rejected page on a budget incident used to
 * add `recent_rejection +20` to every later page of any incident (all targeted `pagerduty:oncall`)
 * and its card quoted the other team's reason. A page's subject is now its incident's key.
 */

/** Unset, as config/.env.example ships it: the product default (testConfig turns it off for older tests). */
const DEFAULTS = { SRE_PAGE_WITHOUT_APPROVAL: '' };

const hardBudget = (team: string) => event('budget.exceeded', { scope: 'team', scope_id: team, limit_kind: 'hard', limit_usd: 5000, spend_usd: 5230.5, period: '2026-11' });
const sla = () => event('sla.violation', { sla_id: 'sla-search-p99', team: 't-search', metric: 'p99_latency_ms', target: 800, observed: 1900, window_seconds: 600 });

interface View {
  id: string;
  incident_id: string;
  status: string;
  action: string;
  target: string;
  risk_score: number;
  risk_factors: { name: string; delta: number; reason: string }[];
}

async function proposeFor(x: RunningAgent, e: { data: Record<string, unknown> }): Promise<View> {
  expect((await post(x.base, '/v1/events', e, INGEST_TOKEN)).status).toBe(202);
  await x.agent.tick();
  const all = (await get(x.base, '/v1/proposals', ALICE)).body.proposals as (View & { incident: { latest: Record<string, unknown> } })[];
  const key = (d: Record<string, unknown>) => String(d.scope_id ?? d.sla_id);
  const p = all.find((v) => key(v.incident.latest) === key(e.data));
  if (!p) throw new Error('no proposal for the event');
  return p;
}

describe('history factors across two incidents', () => {
  it('a rejected page on a budget incident adds nothing to a later page of a different incident, nor quotes its reason', async ({ startAgent }) => {
    const a = await startAgent({ SRE_PAGE_WITHOUT_APPROVAL: 'false' });
    const first = await proposeFor(a, hardBudget('t-research'));
    expect(first).toMatchObject({ action: 'page_oncall', target: 'budget:team:t-research' });
    const r = await post(a.base, `/v1/proposals/${first.id}/decision`, { decision: 'reject', reason: 'finance owns the research budget' }, ALICE);
    expect(r.body.status).toBe('rejected');

    for (const e of [hardBudget('t-search'), sla()]) {
      const later = await proposeFor(a, e);
      expect(later.action).toBe('page_oncall');
      expect(later.target).not.toBe('pagerduty:oncall');
      expect(later.risk_factors.map((f) => f.name)).not.toContain('recent_rejection');
      expect(JSON.stringify(later.risk_factors)).not.toContain('finance');
      // Only the page's own weight: baseline and severity (and a delta-0 note where the gateway disagrees).
      expect(later.risk_factors.filter((f) => f.delta !== 0).map((f) => f.name)).toEqual(['baseline', 'magnitude']);
    }
  });

  it('by default two incidents paged within the cooldown both page: the cooldown is per subject too', async ({ startAgent }) => {
    const a = await startAgent(DEFAULTS);
    const one = await proposeFor(a, hardBudget('t-research'));
    const two = await proposeFor(a, hardBudget('t-search'));
    expect([one.status, two.status]).toEqual(['succeeded', 'succeeded']);
    expect(two.risk_factors.map((f) => f.name)).not.toContain('cooldown');
  });
});
