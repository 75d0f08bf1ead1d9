import { describe, expect, it } from 'vitest';
import { renderDecisionMail } from '../../src/notify/email.js';

const proposal = {
  id: 'prp_1',
  incidentId: 'inc_1',
  status: 'pending',
  action: 'bump_budget_cap',
  target: 'budget:team:t-search',
  params: { scope: 'team', scope_id: 't-search', hard_limit_usd: 150 },
  riskScore: 80,
  riskFactors: [{ name: 'baseline', delta: 75, reason: 'bump_budget_cap baseline' }],
  reasoning: 'The team is blocked.',
  expiresAt: new Date('2026-11-25T10:00:00Z'),
  incident: { type: 'budget.exceeded', subject: 'team t-search', eventCount: 2, firstSeen: new Date('2026-11-24T10:00:00Z'), latest: {} },
};
const links = { approve: 'https://sre.example.test/sre/decide/a', reject: 'https://sre.example.test/sre/decide/r', console: 'https://sre.example.test/sre/proposals/prp_1' };

describe('decision mail', () => {
  it('in shadow says so in the subject, the text and the HTML, and offers "Would approve" / "Would reject"', () => {
    const m = renderDecisionMail({ ...proposal, mode: 'shadow' }, 'proposal.created', links);
    expect(m.subject).toBe('[SRE][Shadow] Approval needed: bump_budget_cap on budget:team:t-search (risk 80)');
    expect(m.text).toContain('Shadow mode: the agent never executes anything.');
    expect(m.text).toContain(`Would approve: ${links.approve}`);
    expect(m.text).toContain(`Would reject:  ${links.reject}`);
    expect(m.html).toContain('Would approve…</a>');
    expect(m.html).toContain('Shadow mode');
  });

  it('says how many people must approve and who already did (two-person rule)', () => {
    const m = renderDecisionMail({ ...proposal, mode: 'live', approvalsRequired: 2, approvals: ['alice'] }, 'proposal.escalated', links);
    expect(m.subject).toMatch(/^\[SRE\] Escalated/);
    expect(m.text).toContain('Two-person rule: needs approvals from 2 different people (1 of 2: alice).');
    expect(m.html).toContain('Two-person rule');
    expect(m.text).toContain(`Approve: ${links.approve}`);
    const single = renderDecisionMail(proposal, 'proposal.created', links);
    expect(single.text).not.toContain('Two-person');
    expect(single.text).not.toContain('Shadow');
  });
});
