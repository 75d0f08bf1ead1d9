import { describe, expect, it } from 'vitest';
import {
  ACTION_APPROVE,
  ACTION_REJECT,
  ACTION_REVERT,
  buildHelp,
  buildIncidentSummary,
  buildPendingList,
  buildProposalCard,
  buildReasoning,
  buildRejectModal,
  escapeMrkdwn,
  LIMITS,
  PENDING_LIST_MAX,
  parseRejectMetadata,
  truncate,
  VIEW_REJECT,
  type SlackMessage,
} from '../../src/slack/blocks/index.js';
import { proposalView } from './fixtures.js';

const HOSTILE = '<!channel> <!here> <@U0BADBAD> <https://evil.example|click> & <#C123>';

/** Every string anywhere in a block tree. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
}

/** Slack's structural limits, checked over a whole message. */
function checkLimits(m: SlackMessage) {
  expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
  expect(m.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  const ids = m.blocks.map((b) => b.block_id).filter(Boolean);
  expect(new Set(ids).size).toBe(ids.length);
  for (const b of m.blocks) {
    expect(typeof b.type).toBe('string');
    if (b.type === 'section') {
      expect(b.text || b.fields).toBeTruthy();
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(10);
    }
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.headerText);
    if (b.type === 'actions') {
      for (const e of b.elements) {
        if (e.type !== 'button') continue;
        expect(e.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
        expect((e.value ?? '').length).toBeLessThanOrEqual(LIMITS.buttonValue);
      }
    }
  }
}

/** No live Slack control sequence survives except the `<!date…>` and links the builders make. */
function expectInert(m: unknown) {
  const all = strings(m).join('\n');
  expect(all).not.toMatch(/<!channel>|<!here>|<@U0BADBAD>|<https:\/\/evil/);
  expect(all).toContain('&lt;!channel&gt;');
}

const buttons = (m: SlackMessage) =>
  m.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : [])).map((e) => ({ id: (e as { action_id?: string }).action_id, value: (e as { value?: string }).value }));

describe('escapeMrkdwn and truncate', () => {
  it('neutralises broadcasts, mentions and forged links', () => {
    expect(escapeMrkdwn(HOSTILE)).toBe('&lt;!channel&gt; &lt;!here&gt; &lt;@U0BADBAD&gt; &lt;https://evil.example|click&gt; &amp; &lt;#C123&gt;');
  });
  it('cuts with an ellipsis and never leaves half an entity', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 3)).toBe('abc');
    const cut = truncate(escapeMrkdwn('aa<bbbb'), 5);
    expect(cut).toBe('aa…');
  });
});

describe('buildProposalCard', () => {
  it('shows action, parameters, every risk factor with its delta, reversibility and the buttons', () => {
    const p = proposalView();
    const m = buildProposalCard(p);
    checkLimits(m);
    const all = strings(m).join('\n');
    expect(all).toContain("Break openai's circuit for 2 min");
    for (const [words, f] of [['the action itself', p.risk_factors[0]!], ['time of day', p.risk_factors[1]!], ['size of the change', p.risk_factors[2]!]] as const) {
      expect(all).toContain(`${words}`);
      expect(all).toContain(`+${f.delta}`);
    }
    expect(all).toContain('*Risk* low · 27');
    expect(all).toContain('*Undo:* undoes itself when the time is up');
    expect(buttons(m)).toEqual([
      { id: ACTION_APPROVE, value: p.id },
      { id: ACTION_REJECT, value: p.id },
    ]);
  });

  it('names the runbook it followed and what happened last time, in a line each, with no ids', () => {
    const past = (line: string, opened: string) => ({
      incident_id: 'inc_past0001', opened_at: opened, failure_class: 'provider_outage', proposal_id: 'prp_past0001', action: 'circuit_break_provider', target: 'provider:openai',
      summary: 'circuit-break openai for 120s', status: 'succeeded', decided_by: 'alice', decided_via: 'slack', decided_at: opened, verification: 'passed', verification_failed: false, line,
    });
    const p = proposalView({
      runbook: { path: 'openai/reroute-first.md', sha256: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90' },
      past_incidents: [past('circuit-break openai for 120s, approved by alice in Slack, verified', '2026-11-22T08:00:00.000Z'), past('re-route gpt-4o to azure-openai, rejected by bob in Slack', '2026-11-20T08:00:00.000Z')],
    });
    const m = buildProposalCard(p, { now: new Date('2026-11-25T10:00:00.000Z') });
    checkLimits(m);
    const context = m.blocks.filter((b) => b.type === 'context').flatMap((b) => strings(b));
    expect(context).toContain(':book: Following runbook *openai/reroute-first.md* (version a1b2c3d)\n:repeat: *Last time* (3d 2h ago): circuit-break openai for 120s, approved by alice in Slack, verified · 1 more before');
    expect(strings(m).join('\n')).not.toMatch(/prp_past|inc_past|a1b2c3d4/);
    // Nothing to say, no line: no runbook matched and nothing like it happened before.
    const plainCard = strings(buildProposalCard(proposalView({ runbook: null, past_incidents: [] }))).join('\n');
    expect(plainCard).not.toMatch(/runbook|Last time/);
  });

  it('escapes what operators wrote into the runbook path and the last-time line', () => {
    const p = proposalView({
      runbook: { path: `${HOSTILE}.md`, sha256: 'f'.repeat(64) },
      past_incidents: [{ incident_id: 'i', opened_at: '2026-11-25T09:00:00.000Z', failure_class: 'unknown', proposal_id: 'p', action: 'page_oncall', target: 'provider:openai', summary: 's', status: 'rejected', decided_by: 'x', decided_via: 'slack', decided_at: null, verification: 'none', verification_failed: false, line: `page on-call, rejected by x ("${HOSTILE}")` }],
    });
    const m = buildProposalCard(p, { now: new Date('2026-11-25T10:00:00.000Z') });
    expectInert(m);
    expect(strings(m).join('\n')).toContain('*Last time* (1h 0m ago): page on-call, rejected by x ("&lt;!channel&gt;');
  });

  it('after a decision: no buttons, who and when, then the result and a revert button', () => {
    const approved = proposalView({ status: 'executing', decided_by: 'ana (slack U1)', decided_at: '2026-11-25T10:05:00.000Z' });
    const m1 = buildProposalCard(approved);
    expect(buttons(m1)).toEqual([]);
    expect(strings(m1).join('\n')).toMatch(/Executing\* — approved by <@U1> at <!date\^\d+/);

    const done = proposalView({ ...approved, status: 'succeeded', result: { status: 200, circuit: 'open' } });
    const m2 = buildProposalCard(done);
    expect(strings(m2).join('\n')).toContain("*Result:* Done: broke openai's circuit for 2 min");
    expect(buttons(m2)).toEqual([{ id: ACTION_REVERT, value: done.id }]);

    const reverted = buildProposalCard({ ...done, reverted_at: '2026-11-25T11:00:00.000Z', reverted_by: 'bo' });
    expect(buttons(reverted)).toEqual([]);
    expect(strings(reverted).join('\n')).toContain('*Reverted* by bo');

    const oneShot = buildProposalCard(proposalView({ ...done, action: 'page_oncall', reversible: false }));
    expect(buttons(oneShot)).toEqual([]);
  });

  it('rejected, expired and superseded cards carry no buttons', () => {
    for (const status of ['rejected', 'expired', 'superseded', 'failed']) {
      const m = buildProposalCard(proposalView({ status, decided_by: 'x', decided_at: '2026-11-25T10:05:00.000Z', decision_reason: 'not now' }));
      expect(buttons(m)).toEqual([]);
      checkLimits(m);
    }
  });

  it('marks auto-executed actions as such', () => {
    const m = buildProposalCard(proposalView({ route: 'auto', status: 'succeeded', decided_by: 'system:policy', decided_at: '2026-11-25T10:00:01.000Z' }));
    expect(m.text).toContain('done without approval');
    expect(strings(m).join('\n')).toContain('Ran without a person');
    expect(strings(m).join('\n')).toContain('without approval, by policy');
  });

  it('escapes hostile text from the event, the model and users, and respects limits with huge input', () => {
    const p = proposalView({
      target: HOSTILE,
      params: { provider: HOSTILE, reason: HOSTILE.repeat(200) },
      reasoning: HOSTILE.repeat(500),
      risk_factors: Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, delta: 1, reason: HOSTILE.repeat(5) })),
      status: 'rejected',
      decided_by: HOSTILE,
      decided_at: '2026-11-25T10:05:00.000Z',
      decision_reason: HOSTILE.repeat(50),
      incident: { ...proposalView().incident, subject: HOSTILE, latest: { note: HOSTILE } },
    });
    for (const m of [buildProposalCard(p), buildReasoning(p), buildIncidentSummary(p.incident), buildPendingList([{ proposal: p }], new Date())]) {
      checkLimits(m);
      expectInert(m);
    }
    expectInert(buildRejectModal(p, { proposalId: p.id }));
  });
});

describe('buildIncidentSummary', () => {
  it('shows type, subject, first and last seen, event count and state', () => {
    const m = buildIncidentSummary(proposalView().incident);
    checkLimits(m);
    const all = strings(m).join('\n');
    for (const want of ['*High* · openai fails 42 % of requests', 'first seen', 'last event', '3 events', 'Reasoning']) expect(all).toContain(want);
  });
});

describe('buildReasoning', () => {
  it('splits long reasoning into sections under the limit', () => {
    const m = buildReasoning(proposalView({ reasoning: 'x'.repeat(20_000) }));
    checkLimits(m);
    expect(m.blocks.length).toBeGreaterThan(2);
    expect(strings(m).join('').length).toBeLessThan(20_000);
    expect(strings(m).join('')).toContain('…');
  });
});

describe('buildPendingList', () => {
  it('lists riskiest first, subject first, the action in words, the time left and thread link, and never an approve-all', () => {
    const now = new Date('2026-11-25T12:00:00.000Z');
    const older = proposalView({ id: 'prp_old', created_at: '2026-11-25T10:00:00.000Z', risk_score: 61, expires_at: '2026-11-25T12:14:00.000Z' });
    const newer = proposalView({ id: 'prp_new', created_at: '2026-11-25T11:30:00.000Z', risk_score: 27, expires_at: '2026-11-25T13:00:00.000Z' });
    const m = buildPendingList([{ proposal: newer }, { proposal: older, threadUrl: 'https://acme.slack.com/archives/C1/p1' }], now);
    checkLimits(m);
    const sections = m.blocks.filter((b) => b.type === 'section').map((b) => strings(b).join(' '));
    expect(sections[0]).toMatch(/\*openai\*: Break openai's circuit for 2 min\nrisk high · 61 · 14 min left · <https:\/\/acme.slack.com\/archives\/C1\/p1\|thread>/);
    expect(sections[1]).toContain('risk low · 27 · 1 h left · no thread yet');
    expect(sections.join(' ')).not.toMatch(/prp_|circuit_break_provider/);
    const b = buttons(m);
    expect(b.map((x) => x.value)).toEqual(['prp_old', 'prp_old', 'prp_new', 'prp_new']);
    expect(b.every((x) => x.id === ACTION_APPROVE || x.id === ACTION_REJECT)).toBe(true);
    expect(strings(m).join(' ').toLowerCase()).not.toContain('approve all');
  });

  it('stays under 50 blocks with many proposals', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ proposal: proposalView({ id: `prp_${i}`, created_at: new Date(Date.UTC(2026, 10, 25, 0, i)).toISOString() }) }));
    const m = buildPendingList(many, new Date(), 'http://localhost:8080/sre');
    checkLimits(m);
    expect(buttons(m).length).toBe(PENDING_LIST_MAX * 2);
    expect(strings(m).join(' ')).toContain('and 25 more');
  });
});

describe('buildRejectModal and buildHelp', () => {
  it('modal carries the proposal id and a bounded optional reason', () => {
    const v = buildRejectModal(proposalView(), { proposalId: 'prp_test0001', channel: 'C1', responseUrl: 'https://hooks.slack.com/x' });
    expect(v.type).toBe('modal');
    expect((v as { callback_id?: string }).callback_id).toBe(VIEW_REJECT);
    expect((v as { title: { text: string } }).title.text.length).toBeLessThanOrEqual(LIMITS.modalTitle);
    expect(parseRejectMetadata(v.private_metadata)).toEqual({ proposalId: 'prp_test0001', channel: 'C1', responseUrl: 'https://hooks.slack.com/x' });
    expect(parseRejectMetadata('not json')).toBeUndefined();
  });
  it('help names the subcommands and escapes an unknown one', () => {
    const m = buildHelp('<!channel>');
    const all = strings(m).join('\n');
    expect(all).toContain('/sre pending');
    expect(all).toContain('/sre show ID');
    expect(all).toContain('&lt;!channel&gt;');
  });
});
