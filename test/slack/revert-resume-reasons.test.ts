import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { schema } from '../../src/db/client.js';
import { decide, getProposal, pause } from '../../src/proposals/index.js';
import { ACTION_REVERT, VIEW_REVERT } from '../../src/slack/blocks/ids.js';
import { REVERT_REASON_BLOCK, REVERT_REASON_INPUT } from '../../src/slack/listeners/views/revert-reason.js';
import { slackTest as it } from '../support/fixtures.js';
import { APPROVER, buttonClick, openIncident, slashCommand, submitView, type Harness } from './harness.js';

const submitRevert = (h: Harness, privateMetadata: string, reason: string) =>
  submitView(h, { callbackId: VIEW_REVERT, title: 'Revert action', privateMetadata, block: REVERT_REASON_BLOCK, input: REVERT_REASON_INPUT, value: reason });

describe('Slack: reverting a two-person action and resuming need a reason', () => {
  it('Revert on an action two people approved opens a dialog; an empty reason is refused in it, a reason reverts once', async ({ harness: h, slack }) => {
    h.deps.policy.twoPersonScore = 0;
    const p = await openIncident(h);
    expect(p.approvals_required).toBe(2);
    await decide(h.deps, { proposalId: p.id, decision: 'approve', actor: { type: 'user', name: 'alice', via: 'api' } });
    const done = await decide(h.deps, { proposalId: p.id, decision: 'approve', actor: { type: 'user', name: 'bob', via: 'api' } });
    expect(done.status).toBe('succeeded');
    const writes = h.gateway.calls().length;

    expect((await buttonClick(h, ACTION_REVERT, done)).status).toBe(200);
    await h.slack.idle();
    const open = slack.of('views.open');
    expect(open).toHaveLength(1);
    const view = open[0]!.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(VIEW_REVERT);
    expect(h.gateway.calls().length).toBe(writes);

    const empty = await submitRevert(h, view.private_metadata, '   ');
    expect(empty.status).toBe(200);
    expect(empty.text).toContain('Say why');
    await h.slack.idle();
    expect((await getProposal(h.deps, p.id))!.reverted_by).toBeNull();

    expect((await submitRevert(h, view.private_metadata, 'the provider recovered')).status).toBe(200);
    await h.slack.idle();
    const after = (await getProposal(h.deps, p.id))!;
    expect(after.reverted_by).toContain(APPROVER);
    expect(h.gateway.calls().length).toBe(writes + 1);
    const started = (await h.db.db.select().from(schema.sreActions).where(eq(schema.sreActions.kind, 'execution.started'))).map((r) => r.payload as Record<string, unknown>);
    expect(started.filter((x) => x.operation === 'revert')).toMatchObject([{ reason: 'the provider recovered' }]);
  });

  it('/sre resume without a reason changes nothing; with one it resumes', async ({ harness: h, slack }) => {
    await pause(h.deps, { reason: 'review', actor: { type: 'user', name: 'alice', via: 'api' } });
    const before = slack.hooks.length;
    expect((await slashCommand(h, 'resume')).status).toBe(200);
    await h.slack.idle();
    expect(JSON.stringify(slack.hooks.slice(before).map((x) => x.body))).toContain('Say why: /sre resume REASON');
    expect((await h.db.db.select().from(schema.agentSwitch))[0]).toMatchObject({ paused: true });
    expect((await slashCommand(h, 'resume all clear')).status).toBe(200);
    await h.slack.idle();
    expect((await h.db.db.select().from(schema.agentSwitch))[0]).toMatchObject({ paused: false });
  });
});
