import type { ProposalView } from '../../src/proposals/types.js';

/** A ProposalView as the service returns it, with overrides. */
export function proposalView(over: Partial<ProposalView> = {}): ProposalView {
  const id = over.id ?? 'prp_test0001';
  return {
    id,
    incident_id: 'inc_test0001',
    status: 'pending',
    action: 'circuit_break_provider',
    params: { provider: 'openai', duration_seconds: 120, reason: 'error rate 42%' },
    target: 'provider:openai',
    risk_score: 27,
    risk_factors: [
      { name: 'baseline', delta: 15, reason: 'baseline risk of circuit_break_provider' },
      { name: 'time_of_day', delta: 10, reason: 'business hours' },
      { name: 'magnitude', delta: 2, reason: '120 s of 300 s' },
    ],
    route: 'gate',
    reasoning: 'OpenAI is failing 42% of requests; a short circuit-break sheds traffic to healthy providers.',
    reasoner: 'playbook',
    fallback_reason: null,
    reversible: true,
    created_at: '2026-11-25T10:00:00.000Z',
    expires_at: '2026-11-26T10:00:00.000Z',
    decided_by: null,
    decided_via: null,
    decided_at: null,
    decision_reason: null,
    result: null,
    superseded_by: null,
    escalated_at: null,
    reverted_at: null,
    reverted_by: null,
    incident: {
      id: 'inc_test0001',
      key: 'provider:openai',
      type: 'provider.unhealthy',
      subject: 'openai',
      status: 'open',
      first_seen: '2026-11-25T09:58:00.000Z',
      last_seen: '2026-11-25T10:00:00.000Z',
      event_count: 3,
      latest: { provider: 'openai', error_rate: 0.42 },
      slack_channel: null,
      slack_ts: null,
    },
    links: { console: `http://localhost:8080/sre/proposals/${id}` },
    ...over,
  };
}
