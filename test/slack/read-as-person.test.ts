import { describe, expect, it } from 'vitest';
import type { ProposalView } from '../../src/domain/proposal-view.js';
import { renderCard, renderRoot, type RenderContext } from '../../src/notify/slack/render.js';
import { LIMITS } from '../../src/slack/blocks/escape.js';
import { firstLine, leaksIn, slackText } from '../support/slack-text.js';
import { proposalView } from './fixtures.js';

const now = new Date('2026-11-25T10:01:00.000Z');
const ctx: RenderContext = { now, policy: { riskThreshold: 40, autoApprove: true } };
const incident = {
  id: 'inc_01abcdefgh',
  key: 'provider:openai',
  type: 'provider.unhealthy',
  subject: 'provider openai',
  status: 'open',
  first_seen: '2026-11-25T09:32:00.000Z',
  last_seen: '2026-11-25T10:00:00.000Z',
  event_count: 9,
  latest: { provider: 'openai', error_rate: 0.62, requests: 36_000, window_seconds: 60 * 60 * 1.6, model_group: 'gpt-4o' },
  slack_channel: null,
  slack_ts: null,
};
const reroute = { action: 'reroute_model_group', params: { model_group: 'gpt-4o', provider: 'azure-openai', previous_provider: 'openai', reason: 'x' }, target: 'model_group:gpt-4o', risk_score: 43 };
const base = (over: Partial<ProposalView> = {}) => proposalView({ id: 'prp_01abcdefghij', incident_id: incident.id, incident, ...reroute, ...over });
const approved = { decided_by: 'alice (slack U0ALICE)', decided_via: 'slack', decided_at: '2026-11-25T10:00:30.000Z', approvals: [{ by: 'alice (slack U0ALICE)', via: 'slack', at: '2026-11-25T10:00:30.000Z' }] };
const executed = { ...approved, status: 'succeeded', result: { ok: true, operation: 'execute', execution_id: 'exe_01zzzzzzzz', finished_at: '2026-11-25T10:00:31.000Z', response: { status: 200 } } };

const STATES: Record<string, ProposalView> = {
  'first posted': base(),
  approved: base({ ...approved, status: 'approved' }),
  executed: base(executed),
  verified: base({ ...executed, verification: { status: 'passed', reason: 'error rate back under 5 %', checked_at: '2026-11-25T10:05:00.000Z' } }),
  failed: base({ ...approved, status: 'failed', result: { ok: false, error: 'admin-api answered 503', execution_id: 'exe_01zzzzzzzz' } }),
  reverted: base({ ...executed, reverted_at: '2026-11-25T10:10:00.000Z', reverted_by: 'bob (slack U0BOB)', verification: { status: 'passed', reason: 'held', checked_at: '2026-11-25T10:05:00.000Z' } }),
  stale: base({ ...approved, status: 'stale', stale_reason: 'the incident went quiet before the decision' }),
  closed: base({ ...executed, incident: { ...incident, status: 'closed' } }),
  shadow: base({ mode: 'shadow' }),
  paused: base({ agent_paused: { by: 'carol (slack U0CAROL)', reason: 'deploy freeze', at: '2026-11-25T09:00:00.000Z' } }),
  'two-person': base({ approvals_required: 2, approvals: [approved.approvals[0]!] }),
};

function rootOf(p: ProposalView) {
  return renderRoot({ incident: p.incident, proposals: [p] }, ctx);
}

describe('Slack read as a person reads it', () => {
  for (const [state, p] of Object.entries(STATES)) {
    it(`${state}: the root's first line names subject and impact; nothing raw leaks`, () => {
      const root = rootOf(p);
      const card = renderCard(p, ctx);
      expect(firstLine(root)).toBe('Critical · openai fails 62 % of gpt-4o requests, about 233 a minute, for 28 min');
      for (const msg of [root, card]) {
        const text = slackText(msg);
        expect(leaksIn(text), text).toEqual([]);
        expect(leaksIn(msg.text), msg.text).toEqual([]);
        expect(msg.text).toContain('openai fails 62 %');
        expect(msg.text).toContain('Move gpt-4o from openai to azure-openai');
      }
      expect(firstLine(card)).toContain('Move gpt-4o from openai to azure-openai');
    });
  }

  it('the card says what Approve does, the risk against the threshold, its factors, the time left, and two lines of reasoning', () => {
    const p = base({
      risk_factors: [
        { name: 'baseline', delta: 25, reason: 'baseline risk of reroute_model_group' },
        { name: 'time_of_day', delta: 10, reason: 'night (3:00 Europe/Berlin): fewer responders at hand' },
        { name: 'blast_radius', delta: 8, reason: '1,400 requests/min affected' },
      ],
      reasoning: 'openai fails 62 % of gpt-4o requests. Azure serves the same model with headroom. Circuit-breaking all of openai would shed embeddings too, which are healthy. '.repeat(4),
      expires_at: '2026-11-25T10:15:00.000Z',
    });
    const text = slackText(renderCard(p, ctx));
    expect(text).toContain('Risk medium · 43 — a person decides; auto at ≤ 40');
    expect(text).toContain('time of day: night (3:00 Europe/Berlin): fewer responders at hand (+10)');
    expect(text).toContain('traffic affected: 1,400 requests/min affected (+8)');
    expect(text).toContain('14 min left');
    expect(text).toContain('[Approve] [Reject…]');
    expect(text).toContain('Whole reasoning');
    expect(text.length).toBeLessThan(1200);
  });

  it('people are mentions, not ids', () => {
    const text = slackText(renderCard(STATES.reverted!, ctx)) + slackText(rootOf(STATES.reverted!));
    expect(text).toContain('@U0ALICE');
    expect(text).toContain('Reverted by @U0BOB');
    expect(text).not.toContain('alice (slack');
  });

  it('a reverted action says reverted, not succeeded or verified alone', () => {
    const card = renderCard(STATES.reverted!, ctx);
    expect(firstLine(card)).toBe('Reverted: Move gpt-4o from openai to azure-openai');
    expect(slackText(rootOf(STATES.reverted!))).toContain('Reverted by @U0BOB');
    expect(slackText(card)).toContain('Check: before the revert, verified');
    expect(slackText(card)).not.toContain('[Revert]');
  });

  it('the result is in words, never JSON', () => {
    expect(slackText(renderCard(STATES.executed!, ctx))).toContain('Result: Done: moved gpt-4o from openai to azure-openai');
    expect(slackText(renderCard(STATES.failed!, ctx))).toContain('Result: Failed: admin-api answered 503; nothing was changed');
  });

  it('closed: the card loses its buttons; quiet is kept apart from resolved', () => {
    const card = slackText(renderCard(STATES.closed!, ctx));
    expect(card).not.toMatch(/\[(Approve|Revert)/);
    expect(card).toContain('The incident is closed');
    const pendingClosed = base({ incident: { ...incident, status: 'closed' } });
    expect(slackText(renderCard(pendingClosed, ctx))).not.toContain('[Approve]');
    expect(slackText(rootOf(STATES.closed!))).toContain('Resolved after: Move gpt-4o from openai to azure-openai');
    const quiet = renderRoot({ incident: { ...incident, status: 'closed' }, proposals: [base({ status: 'expired', incident: { ...incident, status: 'closed' } })] }, ctx);
    expect(slackText(quiet)).toContain('Closed: quiet, no action taken.');
    expect(slackText(quiet)).not.toContain('Resolved');
  });

  it('the root states each step: reasoning → proposed → approved → executed → verified', () => {
    const none = slackText(renderRoot({ incident, proposals: [] }, ctx));
    expect(none).toContain('Reasoning');
    expect(slackText(rootOf(STATES['first posted']!))).toContain('Proposed: Move gpt-4o from openai to azure-openai · risk medium · 43');
    expect(slackText(rootOf(STATES.approved!))).toContain('Approved: Move gpt-4o from openai to azure-openai (approved by @U0ALICE)');
    expect(slackText(rootOf(STATES.verified!))).toContain('Executed: Moved gpt-4o from openai to azure-openai (approved by @U0ALICE) · verified, it helped');
    expect(slackText(rootOf(STATES.stale!))).toContain('Not executed');
    expect(slackText(rootOf(STATES['two-person']!))).toContain('1 of 2 approvals (@U0ALICE)');
    expect(slackText(renderCard(STATES.shadow!, ctx))).toContain('[Would approve]');
    expect(slackText(renderCard(STATES.paused!, ctx))).toContain('The agent is paused by @U0CAROL');
  });

  it('a log-only page never says paged', () => {
    const page = { action: 'page_oncall', params: { severity: 'critical', summary: 's', reason: 'r' }, target: 'pagerduty:oncall', reversible: false };
    for (const decided of [approved, { decided_by: 'system:policy', decided_via: 'policy', decided_at: approved.decided_at, route: 'auto' }]) {
      const p = base({ ...page, ...decided, status: 'succeeded', result: { paged: false, not_paged: 'PagerDuty is not configured', dedup_key: 'k', status: 'logged' } });
      const texts = [slackText(renderCard(p, ctx)), slackText(rootOf(p)), renderCard(p, ctx).text, rootOf(p).text];
      for (const t of texts) {
        expect(t).toMatch(/not paged/i);
        expect(t.replace(/not paged/gi, '')).not.toMatch(/\bpaged\b|escalated to on-call/i);
      }
    }
    const real = base({ ...page, decided_by: 'system:policy', decided_via: 'policy', route: 'auto', status: 'succeeded', result: { paged: true } });
    expect(slackText(rootOf(real))).toContain('Paged without approval');
  });

  it('keeps Block Kit limits at maximum input', () => {
    const huge = 'x<&>'.repeat(5000);
    const p = base({
      params: { model_group: huge, provider: huge, previous_provider: huge, reason: huge },
      reasoning: huge,
      decision_reason: huge,
      stale_reason: huge,
      status: 'stale',
      ...approved,
      risk_factors: Array.from({ length: 20 }, (_, i) => ({ name: `f_${i}`, delta: i, reason: huge })),
      incident: { ...incident, subject: huge, latest: { provider: huge, model_group: huge, error_rate: 1, requests: 1e12, window_seconds: 1 } },
      agent_paused: { by: huge, reason: huge, at: null },
    });
    for (const msg of [renderCard(p, ctx), renderRoot({ incident: p.incident, proposals: Array(30).fill(p) }, ctx)]) {
      expect(msg.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
      expect(msg.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
      for (const b of msg.blocks as unknown as { type: string; text?: { text?: string }; elements?: { text?: unknown }[] }[]) {
        if (b.type === 'header') expect(b.text!.text!.length).toBeLessThanOrEqual(LIMITS.headerText);
        if (b.text?.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
        for (const e of b.elements ?? []) {
          if (typeof e.text === 'string') expect(e.text.length).toBeLessThanOrEqual(LIMITS.contextText);
          else if (e.text && typeof e.text === 'object') expect((e.text as { text: string }).text.length).toBeLessThanOrEqual(LIMITS.buttonText);
        }
      }
    }
  });
});
