import { describe, expect, it } from 'vitest';
import type { ProposalView } from '../../../src/proposals/types.js';
import { proposalPage } from '../../../src/web/console/pages/proposal.js';

/** The proposal page's "Last time" section (issue 19, item 5): one line a past incident, escaped. */

const NOW = new Date('2026-11-24T10:00:00Z');
const POLICY = { threshold: 40, autoApprove: false, twoPersonScore: 75, mode: 'live' as const };

const view = (past: ProposalView['past_incidents']): ProposalView => ({
  id: 'prp_1', incident_id: 'inc_1', status: 'pending', action: 'circuit_break_provider', params: { provider: 'openai' }, target: 'provider:openai', risk_score: 45,
  risk_factors: [{ name: 'recent_failed_verification', delta: 15, reason: 'circuit_break_provider on provider:openai failed its verification 3 h ago and was reverted' }],
  route: 'gate', reasoning: 'r', reasoner: 'playbook', fallback_reason: null, reversible: true, created_at: '2026-11-24T09:58:00.000Z', expires_at: '2026-11-24T10:30:00.000Z',
  decided_by: null, decided_via: null, decided_at: null, decision_reason: null, result: null, superseded_by: null, escalated_at: null, reverted_at: null, reverted_by: null, links: { console: '' },
  incident: { id: 'inc_1', key: 'provider:openai', type: 'provider.unhealthy', subject: 'provider openai', status: 'open', first_seen: '2026-11-24T09:50:00.000Z', last_seen: '2026-11-24T09:59:00.000Z', event_count: 3, latest: {}, slack_channel: null, slack_ts: null },
  mode: 'live', approvals: [], verification: { status: 'none', reason: null, checked_at: null }, stale_reason: null, approvals_required: 1, approval_progress: null,
  ...(past === undefined ? {} : { past_incidents: past }),
});

const past = (over: Partial<NonNullable<ProposalView['past_incidents']>[number]> = {}) => ({
  incident_id: 'inc_0', opened_at: '2026-11-24T07:00:00.000Z', failure_class: 'provider_outage', proposal_id: 'prp_0', action: 'circuit_break_provider', target: 'provider:openai',
  summary: 'circuit-break openai for 120s', status: 'succeeded', decided_by: 'alice', decided_via: 'console', decided_at: '2026-11-24T07:05:00.000Z', verification: 'reverted',
  verification_failed: true, line: 'circuit-break openai for 120s, approved by alice in the console, verification failed, reverted', ...over,
});

const render = (p: ProposalView) => proposalPage({ user: 'u', csrf: 'c', now: NOW, policy: POLICY, data: { proposal: p, timeline: [], others: [] } });

describe('the proposal page: last time', () => {
  it('shows each past incident as a line, linked to its proposal, newest first', () => {
    const html = render(view([past(), past({ incident_id: 'inc_00', proposal_id: 'prp_00', opened_at: '2026-11-23T10:00:00.000Z', verification: 'passed', verification_failed: false, line: 'circuit-break openai for 60s, auto-approved by policy, verified' })]));
    expect(html).toContain('<h2 id="h-last-time">Last time</h2>');
    expect(html).toMatch(/<li data-verification="failed"><a href="\/sre\/proposals\/prp_0"><time[^>]*>3 h ago<\/time><\/a>: circuit-break openai for 120s, approved by alice in the console, verification failed, reverted<\/li>/);
    expect(html.indexOf('prp_0"')).toBeLessThan(html.indexOf('prp_00"'));
    expect(html).toContain('auto-approved by policy, verified');
  });

  it('escapes what operators and events wrote into a line', () => {
    const html = render(view([past({ line: 'page on-call (error): <script>alert(1)</script>, rejected by bob ("<b>no</b>")' })]));
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;b&gt;no&lt;/b&gt;');
  });

  it('has no section when there is no past incident, nor for a view without the field', () => {
    expect(render(view([]))).not.toContain('Last time');
    expect(render(view(undefined))).not.toContain('Last time');
  });
});
