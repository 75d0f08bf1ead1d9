import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { schema } from '../../src/db/client.js';
import { parseApproverRules } from '../../src/domain/approver-rules.js';
import { getProposal } from '../../src/proposals/queries.js';
import { ACTION_APPROVE } from '../../src/slack/blocks/ids.js';
import { slackTest as test } from '../support/fixtures.js';
import { APPROVER, buttonClick, deliverAll, GROUP, GROUPIE, openIncident, startHarness, type Harness, type SlackMock } from './harness.js';

const writes = (h: Harness) => h.gateway.calls().filter((c) => !c.replayed);
const view = async (h: Harness, id: string) => (await getProposal(h.deps, id))!;
const ephemerals = (slack: SlackMock) => slack.of('chat.postEphemeral').map((e) => String(e.args.text));
const lastCard = (slack: SlackMock) => JSON.stringify(slack.of('chat.update').at(-1)?.args.blocks ?? slack.of('chat.postMessage').at(-1)?.args.blocks);
const denials = (h: Harness) => h.db.db.select().from(schema.sreActions).where(eq(schema.sreActions.kind, 'decision.denied'));

async function click(h: Harness, p: Awaited<ReturnType<typeof openIncident>>, user: string) {
  expect((await buttonClick(h, ACTION_APPROVE, await view(h, p.id), { user })).status).toBe(200);
  await h.slack.idle();
}

describe('two-person approval and approver rules in Slack', () => {
  test('the card shows "1 of 2"; the same Slack user twice is refused; a second user executes once', async ({ harness: h, slack }) => {
    h.deps.policy.twoPersonScore = 0;
    const p = await openIncident(h);
    await deliverAll(h);
    expect(JSON.stringify(slack.of('chat.postMessage').at(-1)!.args.blocks)).toContain('Needs approvals from 2 different people');

    await click(h, p, APPROVER);
    expect((await view(h, p.id)).status).toBe('pending');
    expect(ephemerals(slack).at(-1)).toContain('is recorded (1 of 2: u0approver (slack U0APPROVER))');
    await deliverAll(h);
    expect(lastCard(slack)).toContain('1 of 2: u0approver (slack U0APPROVER)');
    expect(lastCard(slack)).toContain(ACTION_APPROVE);

    await click(h, p, APPROVER);
    expect(ephemerals(slack).at(-1)).toContain('You approved');
    expect(writes(h)).toHaveLength(0);

    await click(h, p, GROUPIE);
    const done = await view(h, p.id);
    expect(done.status).toBe('succeeded');
    expect(done.approvals.map((a) => a.by)).toEqual(['u0approver (slack U0APPROVER)', 'u0groupie (slack U0GROUPIE)']);
    expect(writes(h)).toHaveLength(1);
    await deliverAll(h);
    expect(lastCard(slack)).toContain('Approved by u0approver (slack U0APPROVER) and u0groupie (slack U0GROUPIE)');
  });

  test('a rule naming a user group admits its members only, and refuses everyone when the look-up fails', async ({ harness: h, slack }) => {
    const r = parseApproverRules(`circuit_break_provider:${GROUP}`);
    if (!r.ok) throw new Error(r.problems.join('; '));
    // GROUPIE may decide by SRE_APPROVERS directly; the rule names only the group.
    await h.close();
    h = await startHarness({ approvers: [APPROVER, GROUPIE] });
    h.deps.policy.approverRules = r.rules;
    const p = await openIncident(h);
    slack.groupLookupFails = true;
    await click(h, p, GROUPIE);
    expect((await view(h, p.id)).status).toBe('pending');
    expect(ephemerals(slack).at(-1)).toMatch(/look-up failed/);

    slack.groupLookupFails = false;
    await click(h, p, APPROVER);
    expect((await view(h, p.id)).status).toBe('pending');
    expect(ephemerals(slack).at(-1)).toContain(`only ${GROUP} may approve circuit_break_provider`);
    expect(writes(h)).toHaveLength(0);
    const reasons = (await denials(h)).map((d) => String(d.payload.reason));
    expect(reasons).toEqual([expect.stringContaining('fail closed'), expect.stringContaining(`only ${GROUP}`)]);

    await click(h, p, GROUPIE);
    expect((await view(h, p.id)).status).toBe('succeeded');
    expect(writes(h)).toHaveLength(1);
  });

  test('in shadow the card says so and offers "Would approve"; an approval is recorded and executes nothing', async ({ harness: h, slack }) => {
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

    await click(h, p, APPROVER);
    const after = await view(h, p.id);
    expect(after).toMatchObject({ status: 'approved', decided_by: 'u0approver (slack U0APPROVER)', result: { shadow: true } });
    expect(writes(h)).toHaveLength(0);
    await deliverAll(h);
    expect(lastCard(slack)).toContain('Would approve');
    expect(lastCard(slack)).toContain('nothing was executed');
  });
});
