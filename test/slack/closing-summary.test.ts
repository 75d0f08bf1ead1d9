import { and, asc, eq } from 'drizzle-orm';
import { duration } from '../../src/domain/words.js';
import { HttpResponse } from 'msw';
import pino from 'pino';
import { describe, expect } from 'vitest';
import { schema } from '../../src/db/client.js';
import { parseEvent } from '../../src/domain/events.js';
import { closeQuietIncidents } from '../../src/ingest/close-quiet.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { RetryableDeliveryError } from '../../src/notify/adapter.js';
import { createDispatcher } from '../../src/notify/dispatcher.js';
import { createSlackAdapter } from '../../src/notify/slack/index.js';
import { getProposal } from '../../src/proposals/index.js';
import { ACTION_APPROVE } from '../../src/slack/blocks/ids.js';
import { slackTest as test } from '../support/fixtures.js';
import { runDueJobs } from '../support/jobs.js';
import { leaksIn, slackText } from '../support/slack-text.js';
import { APPROVER, BASE_URL, buttonClick, CHANNEL, deliverAll, openIncident, slashCommand, type Harness, type SlackMock } from './harness.js';

// Issue 20, item 4: "a short summary with the link posted in the Slack thread when the incident closes".

const QUIET_MS = 60 * 60_000;

/** The replies in the incident's thread that are its closing summary (the report link is theirs alone). */
async function closings(h: Harness, slack: SlackMock, incidentId: string) {
  const [inc] = await h.db.db.select().from(schema.incidents).where(eq(schema.incidents.id, incidentId));
  return slack
    .of('chat.postMessage')
    .filter((c) => c.args.thread_ts === inc!.slackTs && JSON.stringify(c.args.blocks ?? '').includes('/report|Incident report'))
    .map((c) => ({ args: c.args, text: slackText(c.args as { text?: unknown; blocks?: unknown }) }));
}

const closedRow = async (h: Harness, incidentId: string) => {
  const [row] = await h.db.db.select().from(schema.outbox).where(and(eq(schema.outbox.kind, 'incident.closed'), eq(schema.outbox.incidentId, incidentId)));
  return row!;
};

describe('the closing summary in the incident thread', () => {
  test('an approved, verified change: what broke, what was done by whom, that it held, how long, and the report link — once', async ({ harness: h, slack }) => {
    const p = await openIncident(h);
    await deliverAll(h);
    await buttonClick(h, ACTION_APPROVE, p);
    await h.slack.idle();
    await deliverAll(h);
    await h.clock.advance(300_000);
    await runDueJobs(h.deps);
    await deliverAll(h);
    expect((await getProposal(h.deps, p.id))!.verification.status).toBe('passed');
    expect(await closings(h, slack, p.incident_id)).toEqual([]);

    await h.clock.advance(2 * QUIET_MS);
    expect(await closeQuietIncidents(h.deps, QUIET_MS)).toEqual([p.incident_id]);
    // Two replicas, each with its own adapter, deliver side by side: the lease lets one post it.
    const logger = pino({ level: 'silent' });
    const replica = (name: string) =>
      createDispatcher({ db: h.db.db, adapters: [createSlackAdapter({ db: h.db.db, client: h.slack.client, channel: CHANNEL, publicBaseUrl: BASE_URL, logger, clock: h.clock })], logger, holder: name, clock: h.clock });
    const [one, two] = [replica('replica-a'), replica('replica-b')];
    await Promise.all([one.runOnce(), two.runOnce()]);
    expect((await closedRow(h, p.incident_id)).status).toBe('sent');

    const posted = await closings(h, slack, p.incident_id);
    expect(posted).toHaveLength(1);
    const lines = posted[0]!.text.split('\n');
    expect(lines[0]).toBe('Closed · openai fails 70 % of gpt-4o requests, about 840 a minute');
    expect(lines[1]).toBe(`Broke openai's circuit for 5 min, approved by @${APPROVER}; verified, it held.`);
    // By hand from the trail: detection (incident.opened) to this change's verification.
    const trail = await h.db.db.select().from(schema.sreActions).where(eq(schema.sreActions.incidentId, p.incident_id)).orderBy(asc(schema.sreActions.seq));
    const at = (kind: string) => trail.find((r) => r.kind === kind && (kind === 'incident.opened' || r.proposalId === p.id))!.occurredAt.getTime();
    expect(lines[2]).toMatch(/^Detected \d+ \w+, \d\d:\d\d UTC; /);
    expect(lines[2]!.replace(/^Detected [^;]+; /, '')).toBe(`fixed ${duration(at('verification.passed') - at('incident.opened'))} later.`);
    expect(lines[3]).toBe('Incident report · every line cites its audit row');
    expect(lines).toHaveLength(4);
    expect(leaksIn(posted[0]!.text)).toEqual([]);
    expect(leaksIn(String(posted[0]!.args.text))).toEqual([]);
    expect(JSON.stringify(posted[0]!.args.blocks)).toContain(`<${BASE_URL}/sre/incidents/${p.incident_id}/report|Incident report>`);
    expect(JSON.stringify(posted[0]!.args.blocks)).toMatch(/<!date\^\d+\^/);

    // The same row again (a retry after a lost acknowledgement, or a restarted replica): still one post.
    const row = await closedRow(h, p.incident_id);
    const restarted = createSlackAdapter({ db: h.db.db, client: h.slack.client, channel: CHANNEL, publicBaseUrl: BASE_URL, logger, clock: h.clock });
    for (const adapter of [h.adapter, restarted]) await adapter.deliver({ ...row, channel: 'slack', kind: 'incident.closed' });
    expect(await closings(h, slack, p.incident_id)).toHaveLength(1);
    expect(slack.of('chat.delete')).toEqual([]);
  });

  test('a post Slack took whose answer was lost (a timeout, a crash before the record) is found in the thread on the retry, not posted again', async ({ harness: h, slack }) => {
    const p = await openIncident(h);
    await deliverAll(h);
    await h.clock.advance(2 * QUIET_MS);
    expect(await closeQuietIncidents(h.deps, QUIET_MS)).toEqual([p.incident_id]);
    slack.loseNextAnswer('chat.postMessage', () => new HttpResponse('upstream timeout', { status: 504 }));
    const row = await closedRow(h, p.incident_id);
    await expect(h.adapter.deliver({ ...row, channel: 'slack', kind: 'incident.closed' })).rejects.toBeInstanceOf(RetryableDeliveryError);
    expect(await closings(h, slack, p.incident_id)).toHaveLength(1);
    // The retry, by this replica or a restarted one, reads the thread and keeps the post that landed.
    const restarted = createSlackAdapter({ db: h.db.db, client: h.slack.client, channel: CHANNEL, publicBaseUrl: BASE_URL, logger: pino({ level: 'silent' }), clock: h.clock });
    const again = await restarted.deliver({ ...row, channel: 'slack', kind: 'incident.closed' });
    expect(again).toMatchObject({ status: 'sent' });
    expect(await closings(h, slack, p.incident_id)).toHaveLength(1);
    expect(slack.of('conversations.replies').length).toBeGreaterThanOrEqual(2);
    const [posted] = await closings(h, slack, p.incident_id);
    expect(posted!.args.metadata).toEqual({ event_type: 'sre_closing', event_payload: { key: p.incident_id } });
    const [record] = await h.db.db.select().from(schema.slackMessages).where(and(eq(schema.slackMessages.proposalId, p.incident_id), eq(schema.slackMessages.role, 'closing')));
    expect(record!.ts).toBe((again as unknown as { result: { closing_ts: string } }).result.closing_ts);
    expect(posted!.text.split('\n')[1]).toBe(`Nothing was done: "break openai's circuit for 5 min" was still waiting for a decision.`);
  });

  test('a silenced incident that closes says it was silenced and that nothing was done', async ({ harness: h, slack }) => {
    expect((await slashCommand(h, 'silence provider=openai 2h migration')).status).toBe(200);
    await h.slack.idle();
    const parsed = parseEvent({ id: 'evt_closing_silenced', type: 'provider.unhealthy', occurred_at: h.clock.now().toISOString(), source: 'admin-api', data: { provider: 'openai', error_rate: 0.7, requests: 1200, window_seconds: 60, model_group: 'gpt-4o' } });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const incidentId = (await ingestEvents(h.deps, [{ event: parsed.event, via: 'http' }])).incidentsOpened[0]!;
    await deliverAll(h);
    await h.clock.advance(QUIET_MS + 60_000);
    expect(await closeQuietIncidents(h.deps, QUIET_MS)).toEqual([incidentId]);
    await deliverAll(h);

    const posted = await closings(h, slack, incidentId);
    expect(posted).toHaveLength(1);
    const lines = posted[0]!.text.split('\n');
    expect(lines[0]).toBe('Closed · openai fails 70 % of gpt-4o requests, about 840 a minute');
    expect(lines[1]).toMatch(/^Silenced until \d+ \w+, \d\d:\d\d UTC by u0approver: migration\. Nothing was done\.$/);
    expect(lines).toHaveLength(3);
    expect(String(posted[0]!.args.text)).toBe('Closed: openai fails 70 % of gpt-4o requests, about 840 a minute — silenced, nothing was done');
    expect(leaksIn(posted[0]!.text)).toEqual([]);
  });

  test('an incident that never got a Slack thread posts nothing when it closes', async ({ harness: h, slack }) => {
    const p = await openIncident(h);
    // Its announcement never reached Slack (the row went dead): no thread to reply in.
    await h.db.db.update(schema.outbox).set({ status: 'dead' }).where(eq(schema.outbox.channel, 'slack'));
    await h.clock.advance(2 * QUIET_MS);
    expect(await closeQuietIncidents(h.deps, QUIET_MS)).toEqual([p.incident_id]);
    await deliverAll(h);
    expect(slack.of('chat.postMessage')).toEqual([]);
    expect(await closedRow(h, p.incident_id)).toMatchObject({ status: 'skipped' });
    const [inc] = await h.db.db.select().from(schema.incidents).where(eq(schema.incidents.id, p.incident_id));
    expect(inc!.slackTs).toBeNull();
  });
});
