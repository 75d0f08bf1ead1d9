import { and, eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { schema } from '../../src/db/client.js';
import { getProposal } from '../../src/proposals/queries.js';
import { ACTION_APPROVE, ACTION_REJECT, ACTION_REVERT, REJECT_REASON_BLOCK, REJECT_REASON_INPUT, VIEW_REJECT } from '../../src/slack/blocks/ids.js';
import { slackTest as it } from '../support/fixtures.js';
import {
  APPROVER,
  buttonClick,
  CHANNEL,
  deliverAll,
  eventCallback,
  GROUPIE,
  openIncident,
  postSigned,
  slashCommand,
  STRANGER,
  submitView,
  type Harness,
} from './harness.js';

/** What the tests read of one harness: the audit trail, the admin-api writes and a proposal's status. */
function on(h: Harness) {
  return {
    audit: (kind: string) => h.db.db.select().from(schema.sreActions).where(eq(schema.sreActions.kind, kind)),
    /** Admin-api writes actually applied (replays of an Idempotency-Key excluded). */
    writes: () => h.gateway.calls().filter((c) => !c.replayed),
    status: async (id: string) => (await getProposal(h.deps, id))!.status,
    /** An incident whose root and card are posted: its proposal as opened, and as it reads now. */
    async posted() {
      const p = await openIncident(h);
      await deliverAll(h);
      return { p, fresh: (await getProposal(h.deps, p.id))! };
    },
  };
}
const buttonsOf = (blocks: unknown) =>
  (blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []).map((e) => e.action_id);

describe('a full incident in Slack', () => {
  it('posts the root and one card; an approval executes once and the card and the root are edited in place', async ({ harness: h, slack }) => {
    const { writes, status } = on(h);
    const p = await openIncident(h);
    await deliverAll(h);
    const posts = slack.of('chat.postMessage');
    expect(posts).toHaveLength(2);
    const [parent, card] = posts.map((c) => c.args);
    expect(parent).toMatchObject({ channel: CHANNEL });
    expect(parent!.thread_ts).toBeUndefined();
    const [inc] = await h.db.db.select().from(schema.incidents).where(eq(schema.incidents.id, p.incident_id));
    expect(inc!.slackChannel).toBe(CHANNEL);
    const parentTs = inc!.slackTs!;
    expect(card).toMatchObject({ channel: CHANNEL, thread_ts: parentTs });
    expect(buttonsOf(card!.blocks)).toEqual([ACTION_APPROVE, ACTION_REJECT]);
    expect(JSON.stringify(card!.blocks)).toContain(`"value":"${p.id}"`);

    const fresh = (await getProposal(h.deps, p.id))!;
    const res = await buttonClick(h, ACTION_APPROVE, fresh);
    expect(res.status).toBe(200);
    await h.slack.idle();
    expect(await status(p.id)).toBe('succeeded');
    expect(writes()).toHaveLength(1);

    await deliverAll(h);
    const updates = slack.of('chat.update').filter((u) => u.args.ts !== parentTs);
    const rootNow = slack.of('chat.update').filter((u) => u.args.ts === parentTs).at(-1)!.args;
    expect(JSON.stringify(rootNow.blocks)).toContain(`approved by <@${APPROVER}>`);
    expect(updates.length).toBeGreaterThan(0);
    const last = updates.at(-1)!.args;
    const cardTs = (await h.db.db.select().from(schema.slackMessages).where(and(eq(schema.slackMessages.proposalId, p.id), eq(schema.slackMessages.role, 'card'))))[0]!.ts;
    expect(last.ts).toBe(cardTs);
    const text = JSON.stringify(last.blocks);
    expect(text).toContain(`*Executed* — approved by <@${APPROVER}>`);
    expect(text).not.toContain(`(slack ${APPROVER})`);
    expect(buttonsOf(last.blocks)).toEqual([ACTION_REVERT]);
    // Nothing but edits after the two posts: never a second parent or card.
    expect(slack.of('chat.postMessage')).toHaveLength(2);

    // Revert: same gate, executes the inverse once, and the card says so.
    const done = (await getProposal(h.deps, p.id))!;
    await buttonClick(h, ACTION_REVERT, done);
    await buttonClick(h, ACTION_REVERT, done);
    await h.slack.idle();
    expect(writes()).toHaveLength(2);
    expect((await getProposal(h.deps, p.id))!.reverted_at).not.toBeNull();
    await deliverAll(h);
    const reverted = slack.of('chat.update').filter((u) => u.args.ts === cardTs).at(-1)!.args;
    expect(reverted.ts).toBe(cardTs);
    expect(JSON.stringify(reverted.blocks)).toContain('*Reverted* by');
    expect(JSON.stringify(reverted.blocks)).toContain('Reverted: Break openai');
    expect(buttonsOf(reverted.blocks)).toEqual([]);
    expect(slack.of('chat.postEphemeral').map((e) => String(e.args.text)).join(' ')).toMatch(/already reverted/);
  });

  it('reject opens the reason modal; submitting it rejects with the reason', async ({ harness: h, slack }) => {
    const { status, posted } = on(h);
    const { p, fresh } = await posted();
    expect((await buttonClick(h, ACTION_REJECT, fresh)).status).toBe(200);
    await h.slack.idle();
    const open = slack.of('views.open');
    expect(open).toHaveLength(1);
    const view = open[0]!.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(VIEW_REJECT);
    expect(await status(p.id)).toBe('pending');

    const res = await submitView(h, {
      callbackId: VIEW_REJECT,
      title: 'Reject proposal',
      privateMetadata: view.private_metadata,
      block: REJECT_REASON_BLOCK,
      input: REJECT_REASON_INPUT,
      value: 'traffic is recovering <!channel>',
    });
    expect(res.status).toBe(200);
    await h.slack.idle();
    const after = (await getProposal(h.deps, p.id))!;
    expect(after).toMatchObject({ status: 'rejected', decision_reason: 'traffic is recovering <!channel>' });
    await deliverAll(h);
    const edited = JSON.stringify(slack.of('chat.update').at(-1)!.args.blocks);
    expect(edited).toContain('traffic is recovering &lt;!channel&gt;');
    expect(edited).not.toContain('<!channel>');
  });
});

describe('request signatures', () => {
  it('refuses forged, altered, stale and future requests with 401 and changes nothing', async ({ harness: h, slack }) => {
    const { audit, writes, status, posted } = on(h);
    const { p, fresh } = await posted();
    const before = slack.calls.length;
    const now = Math.floor(Date.now() / 1000);
    // Well past the five-minute window either way, so a slow second on a loaded machine cannot bring them inside it.
    for (const s of [{ secret: 'wrong-secret' }, { tamper: true }, { ts: now - 360 }, { ts: now + 360 }]) {
      const res = await buttonClick(h, ACTION_APPROVE, fresh, {}, s);
      expect(res.status).toBe(401);
    }
    const missing = await fetch(`${h.base}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"url_verification","challenge":"x"}' });
    expect(missing.status).toBe(401);
    await h.slack.idle();
    expect(await status(p.id)).toBe('pending');
    expect(slack.calls.length).toBe(before);
    expect(await audit('proposal.approved')).toHaveLength(0);
    expect(writes()).toHaveLength(0);
  });

  it('answers url_verification only when signed', async ({ harness: h }) => {
    const res = await postSigned(h, JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' }), 'application/json');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ challenge: 'c-123' });
  });
});

describe('who may decide', () => {
  it('refuses a user outside SRE_APPROVERS and another workspace, audits the refusal, and lets a group member in', async ({ harness: h, slack }) => {
    const { audit, status, posted } = on(h);
    const { p, fresh } = await posted();

    // A failed group look-up refuses (and is not cached).
    slack.groupLookupFails = true;
    await buttonClick(h, ACTION_APPROVE, fresh, { user: GROUPIE });
    await h.slack.idle();
    expect(await status(p.id)).toBe('pending');
    expect((await audit('decision.denied')).at(-1)!.payload).toMatchObject({ reason: 'the approver group look-up failed' });

    slack.groupLookupFails = false;
    expect((await buttonClick(h, ACTION_APPROVE, fresh, { user: STRANGER })).status).toBe(200);
    expect((await buttonClick(h, ACTION_APPROVE, fresh, { user: APPROVER, team: 'T0OTHER' })).status).toBe(200);
    await h.slack.idle();
    expect(await status(p.id)).toBe('pending');
    const denied = await audit('decision.denied');
    expect(denied.map((d) => d.actor).sort()).toEqual(
      [`${GROUPIE.toLowerCase()} (slack ${GROUPIE})`, `${APPROVER.toLowerCase()} (slack ${APPROVER})`, `${STRANGER.toLowerCase()} (slack ${STRANGER})`].sort(),
    );
    expect(denied.map((d) => d.payload.reason)).toContain('user of another workspace (T0OTHER)');
    const eph = slack.of('chat.postEphemeral');
    expect(eph.map((e) => e.args.user).sort()).toEqual([APPROVER, GROUPIE, STRANGER].sort());
    expect(eph.every((e) => /not allowed/.test(String(e.args.text)))).toBe(true);

    slack.groupLookupFails = false;
    await buttonClick(h, ACTION_APPROVE, fresh, { user: GROUPIE });
    await h.slack.idle();
    expect(await status(p.id)).toBe('succeeded');
  });
});

describe('replays and retries', () => {
  it('a replayed approval and two approvers at once make one decision and one execution; losers are told who won', async ({ harness: h, slack }) => {
    const { audit, writes, posted } = on(h);
    const { fresh } = await posted();
    const results = await Promise.all([
      buttonClick(h, ACTION_APPROVE, fresh),
      buttonClick(h, ACTION_APPROVE, fresh, {}, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } }),
      buttonClick(h, ACTION_APPROVE, fresh, { user: GROUPIE }),
      buttonClick(h, ACTION_REJECT, fresh),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await h.slack.idle();
    const approved = await audit('proposal.approved');
    expect(approved).toHaveLength(1);
    expect(await audit('proposal.rejected')).toHaveLength(0);
    expect(writes()).toHaveLength(1);
    expect((await audit('decision.duplicate')).length).toBeGreaterThanOrEqual(2);
    const told = slack.of('chat.postEphemeral').map((e) => String(e.args.text));
    expect(told.filter((t) => /already decided by .* at /.test(t)).length).toBeGreaterThanOrEqual(2);
  });
});

describe('/sre', () => {
  it('pending lists exactly the pending proposals, newest first, without an approve-all', async ({ harness: h, slack }) => {
    const { status } = on(h);
    const a = await openIncident(h, { provider: 'openai' });
    const b = await openIncident(h, { provider: 'anthropic', model_group: 'claude-sonnet' });
    const c = await openIncident(h, { provider: 'mistral', model_group: 'mistral-large' });
    await deliverAll(h);
    const fresh = (await getProposal(h.deps, b.id))!;
    await buttonClick(h, ACTION_APPROVE, fresh);
    await h.slack.idle();
    expect(await status(b.id)).not.toBe('pending');

    const res = await slashCommand(h, 'pending');
    expect(res.status).toBe(200);
    await h.slack.idle();
    expect(slack.hooks).toHaveLength(1);
    const msg = slack.hooks[0]!.body as { response_type: string; blocks: { type: string; elements?: { value?: string; action_id?: string }[] }[] };
    expect(msg.response_type).toBe('ephemeral');
    const values = msg.blocks.filter((x) => x.type === 'actions').map((x) => x.elements![0]!.value);
    expect(values).toEqual([c.id, a.id]);
    expect(JSON.stringify(msg.blocks)).toContain('https://acme.slack.com/archives/');
    expect(JSON.stringify(msg.blocks).toLowerCase()).not.toContain('approve all');
  });

  it('help and unknown subcommands answer with help in the acknowledgement', async ({ harness: h }) => {
    const res = await slashCommand(h, 'approve-everything');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { response_type: string; blocks: unknown[] };
    expect(body.response_type).toBe('ephemeral');
    expect(JSON.stringify(body.blocks)).toContain('/sre pending');
    expect(JSON.stringify(body.blocks)).toContain('Unknown command');
  });

  it('show ID answers with the card', async ({ harness: h, slack }) => {
    const p = await openIncident(h);
    await slashCommand(h, `show ${p.id}`);
    await h.slack.idle();
    expect(JSON.stringify(slack.hooks[0]!.body)).toContain(p.id);
  });
});

describe('thread conversation', () => {
  it('answers a thread reply once despite Slack retries, ignores bots and other threads, and a revision supersedes', async ({ harness: h, slack }) => {
    const { audit, status } = on(h);
    const p = await openIncident(h);
    await deliverAll(h);
    const [inc] = await h.db.db.select().from(schema.incidents).where(eq(schema.incidents.id, p.incident_id));
    const thread = inc!.slackTs!;
    const msg = { type: 'message', channel: CHANNEL, user: APPROVER, text: 'what is going on?', ts: '1790000100.000100', thread_ts: thread };
    expect((await eventCallback(h, msg, {}, 'Ev0001')).status).toBe(200);
    expect((await eventCallback(h, msg, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } }, 'Ev0001')).status).toBe(200);
    // The same message as a mention (Slack sends both): still one answer.
    await eventCallback(h, { ...msg, type: 'app_mention', text: `<@U0SREBOT> what is going on?` }, {}, 'Ev0002');
    await eventCallback(h, { ...msg, ts: '1790000101.000100', bot_id: 'B0OTHER', text: 'bot chatter' });
    await eventCallback(h, { ...msg, ts: '1790000102.000100', thread_ts: '1111111111.000001', text: 'elsewhere' });
    await h.slack.idle();
    expect(await audit('thread.message')).toHaveLength(1);
    const before = slack.of('chat.postMessage').length;
    await deliverAll(h);
    const replies = slack.of('chat.postMessage').slice(before);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.args).toMatchObject({ channel: CHANNEL, thread_ts: thread });
    expect(String(replies[0]!.args.text).length).toBeGreaterThan(10);

    await eventCallback(h, { ...msg, ts: '1790000103.000100', text: 're-route instead' });
    await h.slack.idle();
    expect(await status(p.id)).toBe('superseded');
    const pending = await h.db.db.select().from(schema.proposals).where(eq(schema.proposals.status, 'pending'));
    expect(pending).toHaveLength(1);
    expect(pending[0]!.action).toBe('reroute_model_group');
    const n = slack.of('chat.postMessage').length;
    await deliverAll(h);
    const newPosts = slack.of('chat.postMessage').slice(n);
    expect(newPosts.every((c) => c.args.thread_ts === thread)).toBe(true);
    expect(newPosts.some((c) => JSON.stringify(c.args.blocks ?? '').includes(`"value":"${pending[0]!.id}"`))).toBe(true);
    const oldCard = slack.of('chat.update').map((u) => JSON.stringify(u.args.blocks));
    expect(oldCard.some((b) => b.includes('Replaced by a newer proposal'))).toBe(true);
  });
});

describe('thread conversation by a non-approver', () => {
  it('is answered, but cannot replace the pending proposal', async ({ harness: h }) => {
    const { audit, status } = on(h);
    const p = await openIncident(h);
    await deliverAll(h);
    const [inc] = await h.db.db.select().from(schema.incidents).where(eq(schema.incidents.id, p.incident_id));
    const msg = { type: 'message', channel: CHANNEL, user: STRANGER, text: 're-route instead', ts: '1790000200.000100', thread_ts: inc!.slackTs! };
    expect((await eventCallback(h, msg)).status).toBe(200);
    await h.slack.idle();
    expect(await status(p.id)).toBe('pending');
    const replies = (await audit('thread.reply')).filter((r) => r.incidentId === p.incident_id);
    expect(replies).toHaveLength(1);
    expect(String(replies[0]!.payload.text)).toMatch(/only approvers may ask for a different action/);
  });
});

describe('escaping', () => {
  it('an event payload with <!channel> and a forged link is posted harmlessly', async ({ harness: h, slack }) => {
    await openIncident(h, { sample_errors: ['<!channel> <https://evil.example|click here> <@U0BOSS>'], model_group: '<!here>' });
    await deliverAll(h);
    const all = JSON.stringify(slack.calls.map((c) => [c.args.text, c.args.blocks]));
    expect(all).toContain('&lt;!here&gt;');
    expect(all).not.toMatch(/<!channel>|<!here>|<https:\/\/evil|<@U0BOSS>/);
  });
});
