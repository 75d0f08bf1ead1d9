import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { schema } from '../../src/db/client.js';
import { parseApproverRules } from '../../src/domain/approver-rules.js';
import { getProposal } from '../../src/proposals/queries.js';
import { ACTION_APPROVE } from '../../src/slack/blocks/ids.js';
import { slackTest as it } from '../support/fixtures.js';
import { APPROVER, buttonClick, cardUpdates, deliverAll, GROUP, GROUPIE, openIncident, type Harness, type SlackMock } from './harness.js';

/** What the tests read of one harness and its Slack stand-in. */
function on(h: Harness, slack: SlackMock) {
  const view = async (id: string) => (await getProposal(h.deps, id))!;
  return {
    view,
    writes: () => h.gateway.calls().filter((c) => !c.replayed),
    ephemerals: () => slack.of('chat.postEphemeral').map((e) => String(e.args.text)),
    lastCard: () => JSON.stringify(cardUpdates(slack).at(-1)?.args.blocks ?? slack.of('chat.postMessage').at(-1)?.args.blocks),
    denials: () => h.db.db.select().from(schema.sreActions).where(eq(schema.sreActions.kind, 'decision.denied')),
    async click(p: Awaited<ReturnType<typeof openIncident>>, user: string) {
      expect((await buttonClick(h, ACTION_APPROVE, await view(p.id), { user })).status).toBe(200);
      await h.slack.idle();
    },
  };
}

describe('two-person approval and approver rules in Slack', () => {
  it('the card shows "1 of 2"; the same Slack user twice is refused; a second user executes once', async ({ harness: h, slack }) => {
    const { view, writes, ephemerals, lastCard, click } = on(h, slack);
    h.deps.policy.twoPersonScore = 0;
    const p = await openIncident(h);
    await deliverAll(h);
    expect(JSON.stringify(slack.of('chat.postMessage').at(-1)!.args.blocks)).toContain('Needs approvals from 2 different people');

    await click(p, APPROVER);
    expect((await view(p.id)).status).toBe('pending');
    expect(ephemerals().at(-1)).toContain('Your approval is recorded (1 of 2)');
    await deliverAll(h);
    expect(lastCard()).toContain('1 of 2 approvals* (<@U0APPROVER>)');
    expect(lastCard()).toContain(ACTION_APPROVE);

    await click(p, APPROVER);
    expect(ephemerals().at(-1)).toContain('You approved');
    expect(writes()).toHaveLength(0);

    await click(p, GROUPIE);
    const done = await view(p.id);
    expect(done.status).toBe('succeeded');
    expect(done.approvals.map((a) => a.by)).toEqual(['u0approver (slack U0APPROVER)', 'u0groupie (slack U0GROUPIE)']);
    expect(writes()).toHaveLength(1);
    await deliverAll(h);
    expect(lastCard()).toContain('approved by <@U0APPROVER> and <@U0GROUPIE>');
  });

  it('in shadow the card says so and offers "Would approve"; an approval is recorded and executes nothing', async ({ harness: h, slack }) => {
    const { view, writes, lastCard, click } = on(h, slack);
    h.deps.policy.mode = 'shadow';
    const p = await openIncident(h);
    expect(p.mode).toBe('shadow');
    await deliverAll(h);
    const card = slack.of('chat.postMessage').at(-1)!.args;
    expect(String(card.text)).toMatch(/^\[Shadow\]/);
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('Would approve');
    expect(text).toContain('Would reject');
    expect(text).toContain('Shadow mode');

    await click(p, APPROVER);
    const after = await view(p.id);
    expect(after).toMatchObject({ status: 'approved', decided_by: 'u0approver (slack U0APPROVER)', result: { shadow: true } });
    expect(writes()).toHaveLength(0);
    await deliverAll(h);
    expect(lastCard()).toContain('Would approve');
    expect(lastCard()).toContain('nothing was executed');
  });
});

// The same suite, its harness with GROUPIE in SRE_APPROVERS by name (a scoped option applies to a whole describe).
describe('two-person approval and approver rules in Slack', () => {
  // GROUPIE may decide by SRE_APPROVERS directly; the rule names only the group.
  it.scoped({ harnessOptions: { approvers: [APPROVER, GROUPIE] } });

  it('a rule naming a user group admits its members only, and refuses everyone when the look-up fails', async ({ harness: h, slack }) => {
    const r = parseApproverRules(`circuit_break_provider:${GROUP}`);
    if (!r.ok) throw new Error(r.problems.join('; '));
    const { view, writes, ephemerals, denials, click } = on(h, slack);
    h.deps.policy.approverRules = r.rules;
    const p = await openIncident(h);
    slack.groupLookupFails = true;
    await click(p, GROUPIE);
    expect((await view(p.id)).status).toBe('pending');
    expect(ephemerals().at(-1)).toMatch(/look-up failed/);

    slack.groupLookupFails = false;
    await click(p, APPROVER);
    expect((await view(p.id)).status).toBe('pending');
    expect(ephemerals().at(-1)).toContain(`only ${GROUP} may approve circuit_break_provider`);
    expect(writes()).toHaveLength(0);
    const reasons = (await denials()).map((d) => String(d.payload.reason));
    expect(reasons).toEqual([expect.stringContaining('fail closed'), expect.stringContaining(`only ${GROUP}`)]);

    await click(p, GROUPIE);
    expect((await view(p.id)).status).toBe('succeeded');
    expect(writes()).toHaveLength(1);
  });
});
