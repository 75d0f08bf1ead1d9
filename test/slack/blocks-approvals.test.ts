import { describe, expect, it } from 'vitest';
import { buildPendingList, buildProposalCard, buildRejectModal } from '../../src/slack/blocks/index.js';
import { proposalView } from './fixtures.js';

const text = (v: unknown) => JSON.stringify(v);
const buttons = (blocks: unknown) =>
  (blocks as { type: string; elements?: { text?: { text: string } }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []).map((e) => e.text?.text);

describe('Block Kit: shadow and two-person', () => {
  it('a shadow card says so and reads "Would approve" / "Would reject…"; a live one does not', () => {
    const shadow = buildProposalCard(proposalView({ mode: 'shadow' }));
    expect(shadow.text).toMatch(/^\[Shadow\] High: openai fails 42 % of requests, for 2 min — Break openai's circuit for 2 min — proposed/);
    expect(buttons(shadow.blocks)).toEqual(['Would approve', 'Would reject…']);
    expect(text(shadow.blocks)).toContain('Shadow mode');
    const live = buildProposalCard(proposalView());
    expect(buttons(live.blocks)).toEqual(['Approve', 'Reject…']);
    expect(text(live.blocks)).not.toContain('Shadow');
  });

  it('an approved shadow proposal says "Would approve" and shows what would have executed', () => {
    const card = buildProposalCard(proposalView({ mode: 'shadow', status: 'approved', decided_by: 'alice', decided_at: '2026-11-25T10:05:00.000Z', result: { shadow: true, would_execute: { admin_api: { path: '/v1/providers/openai/circuit-breaker' } } } }));
    expect(text(card.blocks)).toContain('*Would approve* — approved by alice');
    expect(text(card.blocks)).toContain('nothing was executed');
    expect(text(card.blocks)).toContain("it would have been: break openai's circuit for 2 min");
    expect(buttons(card.blocks)).toEqual([]);
  });

  it('a two-person card shows who approved ("1 of 2: alice") and keeps its buttons; the list and modal agree', () => {
    const p = proposalView({ approvals_required: 2, approvals: [{ by: 'alice <!channel>', via: 'api', at: '2026-11-25T10:01:00.000Z' }] });
    const card = buildProposalCard(p);
    expect(text(card.blocks)).toContain('1 of 2 approvals* (alice &lt;!channel&gt;)');
    expect(text(card.blocks)).not.toContain('<!channel>');
    expect(buttons(card.blocks)).toEqual(['Approve', 'Reject…']);
    expect(text(buildProposalCard(proposalView({ approvals_required: 2 })).blocks)).toContain('Needs approvals from 2 different people');
    const list = buildPendingList([{ proposal: { ...p, mode: 'shadow' } }], new Date('2026-11-25T10:10:00Z'));
    expect(text(list.blocks)).toContain('1 of 2 approvals (alice &lt;!channel&gt;)');
    expect(text(list.blocks)).toContain(':ghost: shadow');
    expect(buildRejectModal({ ...p, mode: 'shadow' }, { proposalId: p.id })).toMatchObject({ submit: { type: 'plain_text', text: 'Would reject' } });
  });
});
