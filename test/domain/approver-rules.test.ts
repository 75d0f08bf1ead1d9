import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { approvalsRequired, approverKey, humanRequired } from '../../src/domain/approvals.js';
import { namedBy, parseApproverRules } from '../../src/domain/approver-rules.js';

describe('SRE_APPROVER_RULES', () => {
  it('reads Slack users, Slack groups, operator names and email addresses per action', () => {
    const r = parseApproverRules(' bump_budget_cap:S0FINANCE|alice ; disable_sla_contract:S0SRELEADS|U0LEAD|ops@example.com ');
    expect(r).toEqual({
      ok: true,
      rules: {
        bump_budget_cap: [{ kind: 'slack_group', id: 'S0FINANCE' }, { kind: 'name', name: 'alice' }],
        disable_sla_contract: [{ kind: 'slack_group', id: 'S0SRELEADS' }, { kind: 'slack_user', id: 'U0LEAD' }, { kind: 'name', name: 'ops@example.com' }],
      },
    });
    expect(parseApproverRules(undefined)).toEqual({ ok: true, rules: {} });
    expect(parseApproverRules('')).toEqual({ ok: true, rules: {} });
  });

  it('names every problem: no colon, an unknown action, a repeated action, an empty or malformed principal', () => {
    const r = parseApproverRules('bump_budget_cap;drop_database:alice;raise_rate_limit:alice;raise_rate_limit:bob;page_oncall:;reroute_model_group:al ice|');
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems).toHaveLength(6);
    expect(problems[0]).toContain('expected action:principal|principal');
    expect(problems[1]).toContain('unknown action "drop_database"');
    expect(problems[2]).toContain('raise_rate_limit has a rule already');
    expect(problems[3]).toContain('no principal for page_oncall');
    expect(problems[4]).toContain('"al ice" is neither a Slack id');
    expect(problems[5]).toContain('an empty principal');
  });

  it('refuses to start on a malformed rule, naming the variable and the problem', () => {
    expect(() => loadConfig({ SRE_APPROVER_RULES: 'bump_budget_cap:S0FINANCE;nuke:alice' })).toThrow(ConfigError);
    try {
      loadConfig({ SRE_APPROVER_RULES: 'bump_budget_cap:S0FINANCE;nuke:alice' });
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([expect.stringMatching(/^SRE_APPROVER_RULES: rule 2 \("nuke:alice"\): unknown action "nuke"/)]);
    }
    expect(loadConfig({ SRE_APPROVER_RULES: 'bump_budget_cap:alice' }).policy.approverRules).toEqual({ bump_budget_cap: [{ kind: 'name', name: 'alice' }] });
  });

  it('matches Slack users by id, operators by name and email recipients by address whatever the case', () => {
    const r = parseApproverRules('bump_budget_cap:U0ALICE|bob|Fin@Example.com');
    if (!r.ok) throw new Error('parse');
    const rule = r.rules.bump_budget_cap!;
    expect(namedBy(rule, { type: 'slack', userId: 'U0ALICE', teamId: 'T' })).toBe(true);
    expect(namedBy(rule, { type: 'slack', userId: 'U0MALLORY', teamId: 'T', name: 'U0ALICE' })).toBe(false);
    expect(namedBy(rule, { type: 'user', name: 'bob', via: 'console' })).toBe(true);
    expect(namedBy(rule, { type: 'user', name: 'U0ALICE', via: 'api' })).toBe(false);
    expect(namedBy(rule, { type: 'email', recipient: 'fin@example.COM' })).toBe(true);
    expect(namedBy(rule, { type: 'system', name: 'policy' })).toBe(false);
  });
});

describe('two-person rule', () => {
  it('needs two at or above the score, and counts a person once per stable identity', () => {
    expect(approvalsRequired(74, 75)).toBe(1);
    expect(approvalsRequired(75, 75)).toBe(2);
    expect(approverKey({ type: 'slack', userId: 'U1', teamId: 'T', name: 'Alice' })).toBe(approverKey({ type: 'slack', userId: 'U1', teamId: 'T', name: 'alice.renamed' }));
    expect(approverKey({ type: 'user', name: 'alice', via: 'api' })).toBe(approverKey({ type: 'user', name: 'alice', via: 'console' }));
    expect(approverKey({ type: 'email', recipient: 'A@x.com' })).toBe(approverKey({ type: 'email', recipient: 'a@X.com' }));
  });

  it('keeps auto-approval away from two-person proposals and actions with an approver rule', () => {
    expect(humanRequired('circuit_break_provider', 25, { twoPersonScore: 75 })).toBeUndefined();
    expect(humanRequired('circuit_break_provider', 80, { twoPersonScore: 75 })).toContain('two people');
    const r = parseApproverRules('circuit_break_provider:alice');
    expect(humanRequired('circuit_break_provider', 25, { twoPersonScore: 75, approverRules: r.ok ? r.rules : {} })).toContain('approver rule');
  });
});
