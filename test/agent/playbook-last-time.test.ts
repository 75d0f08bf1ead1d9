import { describe, expect, it } from 'vitest';
import { createSimulatedGateway } from '../../src/actions/simulated.js';
import { PlaybookReasoner } from '../../src/agent/playbook/index.js';
import type { IncidentContext } from '../../src/agent/reasoner.js';
import type { PastIncident } from '../../src/domain/past-incidents.js';

const NOW = new Date('2026-11-25T10:00:00Z');

function incident(pastIncidents: PastIncident[]): IncidentContext {
  const latest = { provider: 'openai', error_rate: 0.7, requests: 1200, window_seconds: 60, sample_errors: ['503 Service Unavailable'] };
  return {
    incident: { id: 'inc_now', key: 'provider:openai', type: 'provider.unhealthy', subject: 'provider openai', status: 'open', firstSeen: NOW, lastSeen: NOW, eventCount: 1, latest, first: latest },
    recentEvents: [],
    history: [],
    pastIncidents,
    now: NOW,
  };
}

const past = (over: Partial<PastIncident>): PastIncident => ({
  incidentId: 'inc_past',
  openedAt: new Date('2026-11-24T09:00:00Z'),
  closedAt: null,
  failureClass: 'provider_outage',
  proposalId: 'prp_past',
  action: 'circuit_break_provider',
  target: 'provider:openai',
  described: 'circuit-break openai for 120s',
  status: 'succeeded',
  decidedBy: 'alice (slack U0A)',
  decidedVia: 'slack',
  decidedAt: new Date('2026-11-24T09:05:00Z'),
  decisionReason: null,
  verification: 'passed',
  verificationFailed: false,
  revertedBy: null,
  ...over,
});

describe('the playbook names last time', () => {
  it('ends its reasoning with what was done, who decided and whether it was verified', async () => {
    const d = await new PlaybookReasoner().propose(incident([past({})]), createSimulatedGateway());
    expect(d.reasoning).toMatch(/Last time on this subject with the same failure \(provider outage\): circuit-break openai for 120s, approved by alice in Slack, verified\.$/);
  });

  it('lists the earlier ones, a rejection with its reason, and warns after a failed verification', async () => {
    const d = await new PlaybookReasoner().propose(
      incident([
        past({ verification: 'reverted', verificationFailed: true, revertedBy: 'system:verifier', decidedBy: 'system:policy', decidedVia: 'policy' }),
        past({ incidentId: 'inc_older', status: 'rejected', decidedBy: 'bob', decidedVia: 'console', decisionReason: 'wait for the\nstatus page', verification: 'none' }),
      ]),
      createSimulatedGateway(),
    );
    expect(d.reasoning).toContain('Last time on this subject with the same failure (provider outage): circuit-break openai for 120s, auto-approved by policy, verification failed, reverted.');
    // Operator text is made plain: no line breaks reach the reasoning.
    expect(d.reasoning).toContain('Before that: circuit-break openai for 120s, rejected by bob in the console ("wait for the status page").');
    expect(d.reasoning).toMatch(/failed its verification here weighs against repeating it\.$/);
  });

  it('says nothing of last time when there was none', async () => {
    const d = await new PlaybookReasoner().propose(incident([]), createSimulatedGateway());
    expect(d.reasoning).not.toMatch(/Last time/);
  });
});
