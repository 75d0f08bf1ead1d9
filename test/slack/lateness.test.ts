import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/db/client.js';
import { formatWait, reasoningLateness } from '../../src/domain/lateness.js';
import { parseEvent } from '../../src/domain/events.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { enqueueNotification } from '../../src/jobs/index.js';
import { propose } from '../../src/proposals/propose.js';
import { buildIncidentSummary } from '../../src/slack/blocks/incident-summary.js';
import { slackTest as test } from '../support/fixtures.js';
import { deliverAll } from './harness.js';

describe('reasoningLateness', () => {
  const now = new Date('2026-11-24T10:01:00Z');
  it('says how long an open incident has waited for its first proposal, and nothing once it has one or is closed', () => {
    expect(reasoningLateness({ status: 'open', openedAt: '2026-11-24T10:00:20Z', hasProposal: false }, now)).toEqual({ waitedMs: 40_000, late: true, text: 'reasoning, 40 s so far' });
    expect(reasoningLateness({ status: 'open', openedAt: new Date('2026-11-24T10:00:55Z'), hasProposal: false }, now)).toMatchObject({ late: false, text: 'reasoning, 5 s so far' });
    expect(reasoningLateness({ status: 'open', openedAt: '2026-11-24T10:00:00Z', hasProposal: true }, now)).toBeUndefined();
    expect(reasoningLateness({ status: 'closed', openedAt: '2026-11-24T10:00:00Z', hasProposal: false }, now)).toBeUndefined();
    expect([formatWait(999), formatWait(125_000), formatWait(120_000), formatWait(3_725_000)]).toEqual(['0 s', '2 min 5 s', '2 min', '1 h 2 min']);
  });

  it('shows on the incident summary only when late and before a proposal', () => {
    const incident = { id: 'inc_1', type: 'provider.unhealthy', subject: 'openai', status: 'open', first_seen: now.toISOString(), last_seen: now.toISOString(), event_count: 3 };
    const late = reasoningLateness({ status: 'open', openedAt: '2026-11-24T10:00:20Z', hasProposal: false }, now);
    expect(JSON.stringify(buildIncidentSummary(incident, undefined, late).blocks)).toContain('Reasoning, 40 s so far');
    const early = reasoningLateness({ status: 'open', openedAt: '2026-11-24T10:00:55Z', hasProposal: false }, now);
    expect(JSON.stringify(buildIncidentSummary(incident, undefined, early).blocks)).not.toContain('Reasoning,');
  });
});

describe('the Slack incident summary while reasoning is late', () => {

  test('says "reasoning, N s so far" on a summary update, and no longer once the proposal is posted', async ({ harness: h, slack }) => {
    const parsed = parseEvent({ id: 'evt_late_1', type: 'provider.unhealthy', occurred_at: h.deps.clock.now().toISOString(), source: 'admin-api', data: { provider: 'openai', error_rate: 0.7, requests: 1200, window_seconds: 60 } });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const [incidentId] = (await ingestEvents(h.deps, [{ event: parsed.event, via: 'http' }])).incidentsOpened;
    await deliverAll(h);
    expect(slack.of('chat.postMessage')).toHaveLength(1);
    // The model has been at it for 40 s: the reasoning pool asks for a summary update.
    await h.db.db.update(schema.incidents).set({ openedAt: new Date(h.deps.clock.now().getTime() - 40_000) }).where(eq(schema.incidents.id, incidentId!));
    await h.db.db.transaction((tx) => enqueueNotification(tx, { channels: ['slack'], clock: h.clock }, 'incident.updated', { incidentId: incidentId! }));
    await deliverAll(h);
    const note = JSON.stringify(slack.of('chat.update').at(-1)!.args.blocks);
    expect(note).toMatch(/Reasoning, 4\d s so far/);

    await propose(h.deps, { incidentId: incidentId! });
    await deliverAll(h);
    expect(slack.of('chat.postMessage').filter((c) => c.args.thread_ts !== undefined)).toHaveLength(1);
    const after = slack.of('chat.update').at(-1)!;
    const [inc] = await h.db.db.select().from(schema.incidents).where(eq(schema.incidents.id, incidentId!));
    expect(after.args).toMatchObject({ ts: inc!.slackTs });
    expect(JSON.stringify(after.args.blocks)).not.toContain('Reasoning,');
  });
});
