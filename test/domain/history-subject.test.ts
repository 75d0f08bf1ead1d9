import { describe, expect, it } from 'vitest';
import { normalizeAction, type ActionRequest } from '../../src/domain/actions.js';
import { scoreRisk, subjectOf, type PastProposal, type RiskInput } from '../../src/domain/risk.js';

/**
 * History factors match the incident's own subject (issue 24, item 2): a page's subject is its
 * incident's key, never the `pagerduty:oncall` every page shares, and a factor only ever quotes a
 * decision on that subject.
 */

const NOW = new Date('2026-11-25T10:00:00Z'); // a Wednesday, business hours in UTC
const BUDGET = 'budget:team:t-research';
const PROVIDER = 'provider:openai';

function request(action: string, params: Record<string, unknown>): ActionRequest {
  const r = normalizeAction(action, params);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.request;
}
const page = request('page_oncall', { severity: 'error', summary: 's', reason: 'r' });
const rejectedPage = (target: string, reason: string): PastProposal => ({
  action: 'page_oncall',
  target,
  status: 'rejected',
  createdAt: new Date(NOW.getTime() - 2 * 3_600_000),
  decidedAt: new Date(NOW.getTime() - 2 * 3_600_000),
  decisionReason: reason,
});
const input = (subject: string, history: PastProposal[]): RiskInput => ({
  request: page,
  now: NOW,
  timeZone: 'UTC',
  criticalTeams: [],
  incident: { type: 'provider.unhealthy', teams: [] },
  history,
  subject,
});
const history = (i: RiskInput) => scoreRisk(i).factors.filter((f) => f.name === 'recent_rejection' || f.name === 'repetition');

describe('the subject history factors match', () => {
  it('is the incident key for a page, and the action target for everything else', () => {
    expect(subjectOf(page, BUDGET)).toBe(BUDGET);
    expect(subjectOf(page, PROVIDER)).toBe(PROVIDER);
    expect(subjectOf(request('circuit_break_provider', { provider: 'openai', duration_seconds: 60, reason: 'r' }), 'latency:openai:gpt-4o')).toBe(PROVIDER);
  });

  it("a rejected page on a budget incident adds nothing to a later page of another incident, and its reason is never quoted", () => {
    // Both stored as the agent stores them: each page's target is its own incident's subject.
    const i = input(subjectOf(page, PROVIDER), [rejectedPage(subjectOf(page, BUDGET), 'finance owns the t-research budget')]);
    expect(history(i)).toEqual([]);
    expect(JSON.stringify(scoreRisk(i))).not.toContain('finance');
    expect(scoreRisk(i).score).toBe(42);
  });

  it('a page rejected on the old shared pseudo-target counts for nobody', () => {
    expect(history(input(PROVIDER, [rejectedPage('pagerduty:oncall', 'not ours')]))).toEqual([]);
  });

  it('a rejected page on the same subject adds 20 and quotes its own reason, in words, not a timestamp', () => {
    const [f] = history(input(BUDGET, [rejectedPage(PROVIDER, 'other team'), rejectedPage(BUDGET, 'finance owns the t-research budget')]));
    expect(f).toEqual({ name: 'recent_rejection', delta: 20, reason: 'page_oncall on budget:team:t-research was rejected 2 h ago: "finance owns the t-research budget"' });
  });

  it('repetition counts only pages of the same subject', () => {
    const done = (target: string): PastProposal => ({ ...rejectedPage(target, ''), status: 'succeeded', decisionReason: null });
    expect(history(input(PROVIDER, [done(BUDGET), done(BUDGET)]))).toEqual([]);
    expect(history(input(BUDGET, [done(BUDGET)]))).toEqual([{ name: 'repetition', delta: 10, reason: expect.stringContaining('page_oncall on budget:team:t-research already ran 1×') }]);
  });
});
