import { cardUpdates } from './harness.js';
import { readingClock } from '../support/clock.js';
import { and, eq } from 'drizzle-orm';
import { HttpResponse } from 'msw';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/db/client.js';
import { RetryableDeliveryError, PermanentDeliveryError } from '../../src/notify/adapter.js';
import { createDispatcher, type Dispatcher } from '../../src/notify/dispatcher.js';
import { classifySlackError } from '../../src/notify/slack/errors.js';
import { getProposal } from '../../src/proposals/queries.js';
import { slackTest as test } from '../support/fixtures.js';
import { ACTION_APPROVE } from '../../src/slack/blocks/ids.js';
import { buttonClick, CHANNEL, openIncident, startHarness, type Harness } from './harness.js';

/** Runs the dispatcher until nothing is due, moving the dispatcher's clock past the channel's pace between posts (no real waiting). */
async function drain(h: Harness, d: Dispatcher, advance: (ms: number) => unknown = (ms) => h.clock.advance(ms)): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await d.runOnce();
    const pending = await h.db.db.select({ id: schema.outbox.id }).from(schema.outbox).where(eq(schema.outbox.status, 'pending'));
    if (pending.length === 0) return;
    await advance((d.nextWakeInMs() ?? 20) + 5);
  }
  throw new Error('the outbox did not drain in 200 rounds');
}

describe('Slack delivery through the outbox', () => {
  test('429 with Retry-After: the notification waits that long, is posted once, and the proposal stays pending', async ({ harness: h, slack }) => {
    const p = await openIncident(h);
    let clock = new Date();
    const dispatcher = createDispatcher({ db: h.db.db, adapters: [h.adapter], logger: pino({ level: 'silent' }), clock: readingClock(() => clock)});
    slack.failNext('chat.postMessage', () => new HttpResponse(JSON.stringify({ ok: false, error: 'ratelimited' }), { status: 429, headers: { 'retry-after': '7', 'content-type': 'application/json' } }));

    await dispatcher.runOnce();
    expect(slack.failed).toHaveLength(1);
    expect(slack.of('chat.postMessage')).toHaveLength(0);
    const [row] = await h.db.db.select().from(schema.outbox).where(and(eq(schema.outbox.kind, 'incident.opened'), eq(schema.outbox.channel, 'slack')));
    expect(row!.status).toBe('pending');
    expect(row!.nextAttemptAt.getTime() - clock.getTime()).toBe(7000);
    expect((await getProposal(h.deps, p.id))!.status).toBe('pending');

    // Not before Retry-After has passed.
    clock = new Date(clock.getTime() + 6000);
    await dispatcher.runOnce();
    expect(slack.of('chat.postMessage')).toHaveLength(0);

    clock = new Date(clock.getTime() + 1001);
    await drain(h, dispatcher, (ms) => {
      clock = new Date(clock.getTime() + ms);
    });
    const posts = slack.of('chat.postMessage');
    const parents = posts.filter((c) => c.args.thread_ts === undefined);
    expect(parents).toHaveLength(1);
    expect(parents[0]!.args.channel).toBe(CHANNEL);
    // Then the card, in the parent's thread (its reasoning in two lines, the whole one click away).
    expect(posts.filter((c) => c.args.thread_ts !== undefined)).toHaveLength(1);
    const sent = await h.db.db.select().from(schema.sreActions).where(eq(schema.sreActions.kind, 'notification.sent'));
    expect(sent.length).toBe(2);
  });

  it('classifies Slack failures: 429 keeps Retry-After, transient errors retry, request errors are permanent', () => {
    const rl = classifySlackError(Object.assign(new Error('rl'), { code: 'slack_webapi_rate_limited_error', retryAfter: 30 }));
    expect(rl).toBeInstanceOf(RetryableDeliveryError);
    expect((rl as RetryableDeliveryError).retryAfterMs).toBe(30_000);
    expect(classifySlackError(Object.assign(new Error('x'), { code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } }))).toBeInstanceOf(PermanentDeliveryError);
    expect(classifySlackError(Object.assign(new Error('x'), { code: 'slack_webapi_platform_error', data: { error: 'internal_error' } }))).toBeInstanceOf(RetryableDeliveryError);
    expect(classifySlackError(Object.assign(new Error('x'), { code: 'slack_webapi_http_error', statusCode: 503 }))).toBeInstanceOf(RetryableDeliveryError);
    expect(classifySlackError(Object.assign(new Error('x'), { code: 'slack_webapi_http_error', statusCode: 400 }))).toBeInstanceOf(PermanentDeliveryError);
    expect(classifySlackError(Object.assign(new Error('x'), { code: 'slack_webapi_request_error' }))).toBeInstanceOf(RetryableDeliveryError);
  });

  test('a summary update edits the parent in place instead of posting again', async ({ harness: h, slack }) => {
    const p = await openIncident(h);
    const dispatcher = createDispatcher({ db: h.db.db, adapters: [h.adapter], logger: pino({ level: 'silent' }), clock: h.clock });
    await drain(h, dispatcher);
    const [inc] = await h.db.db.select().from(schema.incidents).where(eq(schema.incidents.id, p.incident_id));
    await h.db.db.update(schema.incidents).set({ eventCount: 42 }).where(eq(schema.incidents.id, p.incident_id));
    await h.db.db.insert(schema.outbox).values({ channel: 'slack', kind: 'incident.updated', incidentId: p.incident_id, payload: {}, nextAttemptAt: new Date(0) });
    const posted = slack.of('chat.postMessage').length;
    await drain(h, dispatcher);
    expect(slack.of('chat.postMessage')).toHaveLength(posted);
    const upd = slack.of('chat.update').at(-1)!;
    expect(upd.args).toMatchObject({ channel: CHANNEL, ts: inc!.slackTs });
    expect(JSON.stringify(upd.args.blocks)).toContain('42 events');
    // The same row again changes nothing a reader sees: no edit.
    const edits = slack.of('chat.update').length;
    await h.db.db.insert(schema.outbox).values({ channel: 'slack', kind: 'incident.updated', incidentId: p.incident_id, payload: {}, nextAttemptAt: new Date(0) });
    await drain(h, dispatcher);
    expect(slack.of('chat.update')).toHaveLength(edits);
  });

  test('a chat.update failing after a decision is retried without repeating the execution', async ({ harness: h, slack }) => {
    const p = await openIncident(h);
    const dispatcher = createDispatcher({ db: h.db.db, adapters: [h.adapter], logger: pino({ level: 'silent' }), baseDelayMs: 1, clock: h.clock });
    await drain(h, dispatcher);
    slack.failNext('chat.update', () => HttpResponse.json({ ok: false, error: 'internal_error' }));
    const view = (await getProposal(h.deps, p.id))!;
    await buttonClick(h, ACTION_APPROVE, view);
    await h.slack.idle();
    expect((await getProposal(h.deps, p.id))!.status).toBe('succeeded');
    await drain(h, dispatcher);
    expect(slack.failed.map((c) => c.method)).toEqual(['chat.update']);
    expect(JSON.stringify(cardUpdates(slack).at(-1)!.args.blocks)).toContain('*Executed* — approved by');
    expect(h.gateway.calls().filter((c) => !c.replayed)).toHaveLength(1);
  });
});

describe('auto-executed actions', () => {
  test('are posted as such, with the same explanation', async ({ harness: h, slack }) => {
    await h.close();
    h = await startHarness({ autoApprove: true });
    const p = await openIncident(h);
    expect(p.route).toBe('auto');
    const dispatcher = createDispatcher({ db: h.db.db, adapters: [h.adapter], logger: pino({ level: 'silent' }), clock: h.clock });
    await drain(h, dispatcher);
    const thread = slack.of('chat.postMessage').filter((c) => c.args.thread_ts !== undefined);
    expect(thread).toHaveLength(1);
    expect(JSON.stringify(thread[0]!.args.blocks)).toContain('Whole reasoning');
    const lastCard = [...slack.of('chat.postMessage'), ...cardUpdates(slack)].map((c) => JSON.stringify(c.args.blocks)).filter((b) => b.includes('Ran without a person'));
    expect(lastCard.length).toBeGreaterThan(0);
    expect(lastCard.at(-1)).toContain('without approval, by policy');
  });
});
