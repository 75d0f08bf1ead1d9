import { describe, expect, it } from 'vitest';
import type { GatewayReads } from '../../src/actions/gateway.js';
import { createSimulatedGateway, defaultSimulatedState } from '../../src/actions/simulated.js';
import { PlaybookReasoner } from '../../src/agent/playbook/index.js';
import type { IncidentContext } from '../../src/agent/reasoner.js';
import { normalizeAction } from '../../src/domain/actions.js';
import { scoreRisk } from '../../src/domain/risk.js';
import { gatherFacts } from '../../src/proposals/score.js';

/** Issue 19, item 2: a failed gateway read does not turn decisive evidence into a page; it becomes a risk factor. */

const now = new Date('2026-11-25T10:05:00Z');
const reasoner = new PlaybookReasoner();

function incident(type: 'latency.spike' | 'provider.unhealthy', latest: Record<string, unknown>, eventCount = 8): IncidentContext {
  return {
    incident: { id: 'inc_d', key: `provider:${String(latest.provider)}`, type, subject: `provider ${String(latest.provider)}`, status: 'open', firstSeen: new Date(now.getTime() - 300_000), lastSeen: now, eventCount, latest, first: latest },
    recentEvents: [],
    history: [],
    now,
  };
}

/** The simulated gateway with some reads failing the way a down admin-api fails. */
function gateway(down: ('provider' | 'group')[]): GatewayReads {
  const sim = createSimulatedGateway({ seed: defaultSimulatedState(), clock: { now: () => now } });
  const fail = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.9:8080'));
  return {
    getProvider: (n) => (down.includes('provider') ? fail() : sim.getProvider(n)),
    getModelGroup: (n) => (down.includes('group') ? fail() : sim.getModelGroup(n)),
    getTeam: (id) => sim.getTeam(id),
    getBudget: (s, id) => sim.getBudget(s, id),
  };
}

const spike = (ratio: number) => incident('latency.spike', { provider: 'openai', model: 'gpt-4o', model_group: 'gpt-4o', latency_ms: 1200 * ratio, rolling_median_ms: 1200 });

describe('decisive evidence without reads', () => {
  it('breaks the provider briefly for a spike tens of times the median when the model-group read fails, naming the missing read', async () => {
    const d = await reasoner.propose(spike(30), gateway(['group']));
    expect(d.action).toBe('circuit_break_provider');
    expect(normalizeAction(d.action, d.params).ok).toBe(true);
    expect(Number(d.params.duration_seconds)).toBeLessThanOrEqual(120);
    expect(d.reasoning).toMatch(/decisive on its own/);
    expect(d.reasoning).toMatch(/model group read failed.*read_missing/);
    expect((d.trace as { facts: { reads_missing: string[] } }).facts.reads_missing).toContain('model group');
  });

  it('still acts with every read down, and still pages a spike that is not decisive', async () => {
    expect((await reasoner.propose(spike(25), gateway(['group', 'provider']))).action).toBe('circuit_break_provider');
    const modest = await reasoner.propose(spike(12), gateway(['group']));
    expect(modest.action).toBe('page_oncall');
  });

  it('does not break when a read shows the break would strand another group', async () => {
    const seed = defaultSimulatedState();
    const sim = createSimulatedGateway({ seed, clock: { now: () => now } });
    // vertex serves gemini-pro alone; the named group claude-sonnet cannot be read.
    const gw: GatewayReads = { ...sim, getModelGroup: (n) => (n === 'claude-sonnet' ? Promise.reject(new Error('ECONNREFUSED')) : sim.getModelGroup(n)) };
    const d = await reasoner.propose(incident('latency.spike', { provider: 'vertex', model_group: 'claude-sonnet', latency_ms: 30_000, rolling_median_ms: 1000 }), gw);
    expect(d.action).toBe('page_oncall');
    expect(d.reasoning).toContain('gemini-pro');
  });

  it('breaks on an error rate decisive on its own with every read down, and says the reads are missing', async () => {
    const ctx = incident('provider.unhealthy', { provider: 'anthropic', error_rate: 0.7, requests: 8000, window_seconds: 60, model_group: 'claude-sonnet', sample_errors: ['upstream 503 Service Unavailable'] });
    const d = await reasoner.propose(ctx, gateway(['group', 'provider']));
    expect(d.action).toBe('circuit_break_provider');
    expect(d.reasoning).toMatch(/read_missing/);
  });
});

describe('read_missing, a risk factor of its own', () => {
  const base = { now, timeZone: 'UTC', criticalTeams: [], history: [] };
  const breakReq = normalizeAction('circuit_break_provider', { provider: 'openai', duration_seconds: 120, reason: 'spike' });
  const pageReq = normalizeAction('page_oncall', { severity: 'error', summary: 's', reason: 'r' });
  if (!breakReq.ok || !pageReq.ok) throw new Error('fixture');

  it('raises the score of a traffic move decided without a read, and names the read', () => {
    const without = scoreRisk({ ...base, request: breakReq.request, incident: { type: 'latency.spike', teams: [] } });
    const missing = scoreRisk({ ...base, request: breakReq.request, incident: { type: 'latency.spike', teams: [], readsMissing: ['model group'] } });
    const factor = missing.factors.find((f) => f.name === 'read_missing');
    expect(factor).toMatchObject({ delta: 15 });
    expect(factor?.reason).toContain('model group');
    expect(missing.score).toBe(without.score + 15);
    const blind = scoreRisk({ ...base, request: breakReq.request, incident: { type: 'latency.spike', teams: [], readsMissing: ['provider', 'model group'] } });
    expect(blind.factors.find((f) => f.name === 'read_missing')?.delta).toBe(30);
  });

  it('leaves a page alone: paging needs no gateway read', () => {
    const page = scoreRisk({ ...base, request: pageReq.request, incident: { type: 'latency.spike', teams: [], readsMissing: ['provider'] } });
    expect(page.factors.some((f) => f.name === 'read_missing')).toBe(false);
  });

  it('is recorded by the proposal service when the provider or model-group read throws, not when it merely finds nothing', async () => {
    const ctx = incident('latency.spike', { provider: 'openai', model_group: 'gpt-4o', latency_ms: 36_000, rolling_median_ms: 1200 });
    expect((await gatherFacts(gateway(['group']), ctx)).readsMissing).toEqual(['model group']);
    expect((await gatherFacts(gateway([]), ctx)).readsMissing).toBeUndefined();
    const unknown = incident('latency.spike', { provider: 'openai', model_group: 'no-such-group', latency_ms: 36_000, rolling_median_ms: 1200 });
    expect((await gatherFacts(gateway([]), unknown)).readsMissing).toBeUndefined();
  });
});
