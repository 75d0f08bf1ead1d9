import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { schema } from '../../src/db/client.js';
import { parseEvent } from '../../src/domain/events.js';
import { closeQuietIncidents } from '../../src/ingest/close-quiet.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { propose } from '../../src/proposals/propose.js';
import { getProposal } from '../../src/proposals/index.js';
import { ACTION_APPROVE, ACTION_REASONING, ACTION_REVERT } from '../../src/slack/blocks/ids.js';
import { slackTest as it } from '../support/fixtures.js';
import { firstLine, leaksIn, slackText } from '../support/slack-text.js';
import { APPROVER, buttonClick, CHANNEL, deliverAll, eventCallback, openIncident, type SlackCall, type SlackMock } from './harness.js';

/** Posts and edits of one incident's thread, as a recording Slack stand-in counts them. */
function tally(slack: SlackMock, rootTs: string, cardTs: string) {
  const posts = slack.of('chat.postMessage');
  const edits = slack.of('chat.update');
  return {
    roots: posts.filter((c) => c.args.thread_ts === undefined && c.args.channel === CHANNEL && !String(c.args.text).includes('the agent')).length,
    threadPosts: posts.filter((c) => c.args.thread_ts === rootTs),
    rootEdits: edits.filter((c) => c.args.ts === rootTs),
    cardEdits: edits.filter((c) => c.args.ts === cardTs),
  };
}
const read = (c: SlackCall) => slackText(c.args as { text?: unknown; blocks?: unknown });

describe('one incident in Slack, start to close, against a recording stand-in', () => {
  it('one root, one card, one post or edit per real change, and every message reads as words', async ({ harness: h, slack }) => {
    const p = await openIncident(h);
    await deliverAll(h);
    const [inc] = await h.db.db.select().from(schema.incidents).where(eq(schema.incidents.id, p.incident_id));
    const rootTs = inc!.slackTs!;
    const [card] = await h.db.db.select().from(schema.slackMessages).where(eq(schema.slackMessages.proposalId, p.id));
    const cardTs = card!.ts;
    let t = tally(slack, rootTs, cardTs);
    expect(t.roots).toBe(1);
    expect(t.threadPosts).toHaveLength(1);
    const rootText = read(slack.of('chat.update').filter((c) => c.args.ts === rootTs).at(-1) ?? slack.of('chat.postMessage')[0]!);
    expect(firstLine({ blocks: JSON.parse(JSON.stringify((slack.of('chat.update').filter((c) => c.args.ts === rootTs).at(-1) ?? slack.of('chat.postMessage')[0]!).args.blocks)) })).toMatch(/^Critical · openai fails 70 % of gpt-4o requests/);
    expect(rootText).toContain("Proposed: Break openai's circuit for 5 min");

    // The whole reasoning, one click away, to the clicker alone.
    await buttonClick(h, ACTION_REASONING, (await getProposal(h.deps, p.id))!);
    await h.slack.idle();
    const whole = slack.of('chat.postEphemeral').at(-1)!;
    expect(whole.args).toMatchObject({ channel: CHANNEL, user: APPROVER });
    expect(read(whole)).toContain('Reasoning (the playbook)');
    expect(read(whole).length).toBeGreaterThan(400);

    // Nothing changed: delivering again sends nothing.
    const calls = slack.calls.length;
    await deliverAll(h);
    expect(slack.calls.length).toBe(calls);

    await buttonClick(h, ACTION_APPROVE, (await getProposal(h.deps, p.id))!);
    await h.slack.idle();
    await deliverAll(h);
    t = tally(slack, rootTs, cardTs);
    expect(t.threadPosts).toHaveLength(1);
    expect(t.cardEdits.length).toBeGreaterThanOrEqual(1);
    expect(read(t.rootEdits.at(-1)!)).toContain(`Executed: Broke openai's circuit for 5 min (approved by @${APPROVER})`);
    expect(read(t.cardEdits.at(-1)!).split('\n')[0]).toBe("Done: Break openai's circuit for 5 min");
    // No edit repeats the one before it.
    for (const list of [t.rootEdits, t.cardEdits]) {
      const bodies = list.map((c) => JSON.stringify(c.args.blocks));
      expect(bodies.every((b, i) => i === 0 || b !== bodies[i - 1])).toBe(true);
    }

    // A question in the thread is answered with what is live, and how to undo it.
    await eventCallback(h, { type: 'message', channel: CHANNEL, user: APPROVER, text: 'how do we go back?', ts: '1790000300.000100', thread_ts: rootTs });
    await h.slack.idle();
    await deliverAll(h);
    t = tally(slack, rootTs, cardTs);
    expect(t.threadPosts).toHaveLength(2);
    const answer = t.threadPosts.at(-1)!;
    expect(read(answer)).toContain("Live now: Broke openai's circuit for 5 min");
    expect(JSON.stringify(answer.args.blocks)).toContain(ACTION_REVERT);

    await buttonClick(h, ACTION_REVERT, (await getProposal(h.deps, p.id))!);
    await h.slack.idle();
    await deliverAll(h);
    t = tally(slack, rootTs, cardTs);
    expect(read(t.cardEdits.at(-1)!).split('\n')[0]).toBe("Reverted: Break openai's circuit for 5 min");
    expect(read(t.rootEdits.at(-1)!)).toContain(`Reverted by @${APPROVER}`);

    // Quiet for long enough: closed, kept apart from resolved, and the card loses its buttons.
    await h.clock.advance(3 * 3_600_000);
    await closeQuietIncidents(h.deps, 60 * 60_000);
    await deliverAll(h);
    t = tally(slack, rootTs, cardTs);
    expect(read(t.rootEdits.at(-1)!)).toContain('Closed: quiet. No change is in place any more.');
    expect(read(t.rootEdits.at(-1)!)).not.toContain('Resolved');
    expect(JSON.stringify(t.cardEdits.at(-1)!.args.blocks)).not.toMatch(/sre_(approve|reject|revert)/);

    // Still one root and one card; every thread post is a real change (the card, the answer, verification notes).
    expect(t.roots).toBe(1);
    expect(t.threadPosts.filter((c) => JSON.stringify(c.args.blocks ?? '').includes('"type":"header"'))).toHaveLength(1);
    for (const c of [...t.rootEdits, ...t.cardEdits, ...t.threadPosts.filter((x) => Array.isArray(x.args.blocks) && (x.args.blocks as unknown[]).length > 0)]) {
      expect(leaksIn(read(c)), read(c)).toEqual([]);
    }
    console.log(`flow: ${t.roots} root, ${t.threadPosts.length} thread posts, ${t.rootEdits.length} root edits, ${t.cardEdits.length} card edits`);
  });
});

describe('a page through the log-only pager', () => {
  it('is never called paged: the card, the root and the notification say "not paged: PagerDuty is not configured"', async ({ harness: h, slack }) => {
    const parsed = parseEvent({ id: 'evt_budget_1', type: 'budget.exceeded', occurred_at: h.deps.clock.now().toISOString(), source: 'admin-api', data: { scope: 'team', scope_id: 't-42', limit_kind: 'hard', limit_usd: 1000, spend_usd: 1250, period: 'month' } });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const [incidentId] = (await ingestEvents(h.deps, [{ event: parsed.event, via: 'http' }])).incidentsOpened;
    await propose(h.deps, { incidentId: incidentId! });
    const [row] = await h.db.db.select().from(schema.proposals).where(eq(schema.proposals.incidentId, incidentId!));
    if (row!.action !== 'page_oncall') return expect.fail(`the playbook proposed ${row!.action}; this test needs a page`);
    await deliverAll(h);
    const p = (await getProposal(h.deps, row!.id))!;
    if (p.status === 'pending') {
      await buttonClick(h, ACTION_APPROVE, p);
      await h.slack.idle();
    }
    await deliverAll(h);
    expect((await getProposal(h.deps, p.id))!.status).toBe('succeeded');
    const [inc] = await h.db.db.select().from(schema.incidents).where(eq(schema.incidents.id, incidentId!));
    const [card] = await h.db.db.select().from(schema.slackMessages).where(eq(schema.slackMessages.proposalId, p.id));
    const root = slack.of('chat.update').filter((c) => c.args.ts === inc!.slackTs).at(-1)!;
    const cardNow = slack.of('chat.update').filter((c) => c.args.ts === card!.ts).at(-1)!;
    expect(firstLine(root.args)).toBe('Critical · Team t-42 spent $1,250 of its $1,000 hard budget (month)');
    for (const c of [root, cardNow]) {
      for (const t of [read(c), String(c.args.text)]) {
        expect(t).toMatch(/not paged/i);
        expect(t.replace(/not paged/gi, '')).not.toMatch(/\bpaged\b|escalated to on-call/i);
      }
    }
    expect(read(cardNow).split('\n')[0]).toBe('Not paged: PagerDuty is not configured');
  });
});
