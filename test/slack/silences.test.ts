import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { schema } from '../../src/db/client.js';
import { parseEvent } from '../../src/domain/events.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { propose } from '../../src/proposals/index.js';
import { parseSilenceText } from '../../src/slack/listeners/commands/silence.js';
import { slackTest as it } from '../support/fixtures.js';
import { deliverAll, STRANGER, type Harness } from './harness.js';

/** Issue 20 in Slack: `/sre silence MATCHER… DURATION REASON`, `/sre silences`, `/sre unsilence ID`; the held incident's summary. */
describe('/sre silence | silences | unsilence', () => {
  const rows = (h: Harness) => h.db.db.select().from(schema.silences);

  it('parses matchers, a duration and a reason', () => {
    expect(parseSilenceText(' provider=openai type=provider.*  2h  migration tonight ')).toEqual({ matchers: { provider: 'openai', type: 'provider.*' }, forMs: 7_200_000, reason: 'migration tonight' });
    expect(parseSilenceText('2h migration')).toMatchObject({ problem: expect.stringMatching(/^No matcher/) });
    expect(parseSilenceText('provider=openai migration')).toMatchObject({ problem: expect.stringMatching(/"migration" is not a duration/) });
    expect(parseSilenceText('provider=openai')).toMatchObject({ problem: expect.stringMatching(/^No duration/) });
    expect(parseSilenceText('provider=openai 2h')).toMatchObject({ problem: expect.stringMatching(/^Say why/) });
  });

  it('an approver silences a provider; the incident is held, its summary says so, no card is posted; unsilence lets a proposal follow', async ({ harness: h, slack, answer }) => {
    const made = await answer('silence provider=openai 2h migration');
    expect(made).toContain('Silence `sil_');
    expect(made).toContain('silenced until 12:00 by u0approver (slack U0APPROVER): migration');
    const [row] = await rows(h);
    expect(row).toMatchObject({ matchers: { provider: 'openai' }, reason: 'migration', createdBy: 'u0approver (slack U0APPROVER)' });
    expect(row!.endsAt!.getTime() - row!.startsAt.getTime()).toBe(7_200_000);

    const parsed = parseEvent({ id: 'evt_silenced_1', type: 'provider.unhealthy', occurred_at: h.clock.now().toISOString(), source: 'admin-api', data: { provider: 'openai', error_rate: 0.7, requests: 1200, window_seconds: 60, model_group: 'gpt-4o' } });
    if (!parsed.ok) throw new Error('bad event');
    const out = await ingestEvents(h.deps, [{ event: parsed.event, via: 'http' }]);
    const incidentId = out.incidentsOpened[0]!;
    expect(await propose(h.deps, { incidentId })).toBeUndefined();
    await deliverAll(h);
    const posted = JSON.stringify(slack.of('chat.postMessage').map((c) => c.args.blocks));
    expect(posted).toContain(':mute: Silenced until 12:00 by u0approver: migration: no proposal until it ends');
    expect(slack.of('chat.postMessage')).toHaveLength(1);

    expect(await answer('silences')).toContain(row!.id);
    expect(await answer(`unsilence ${row!.id}`)).toContain(`Silence \`${row!.id}\` (provider=openai) ended by u0approver`);
    expect((await rows(h))[0]).toMatchObject({ endedBy: 'u0approver (slack U0APPROVER)' });
    expect(await answer(`unsilence ${row!.id}`)).toContain('already ended');
    expect(await propose(h.deps, { incidentId })).toMatchObject({ status: 'pending' });
  });

  it('bad input is answered in words and stores nothing', async ({ harness: h, answer }) => {
    expect(await answer('silence 2h migration')).toContain('No matcher');
    expect(await answer('silence region=eu 2h migration')).toContain('matchers.region: unknown matcher key');
    expect(await answer('silence provider=openai 8d migration')).toContain('at most 7 days ahead');
    expect(await answer('silence provider=openai soon migration')).toContain('is not a duration');
    expect(await answer('silence provider=openai 2h')).toContain('Say why');
    expect(await answer('unsilence')).toContain('Usage: /sre unsilence ID');
    expect(await answer('unsilence sil_nope')).toContain('silence sil_nope not found');
    expect(await rows(h)).toEqual([]);
  });

  it('a non-approver may list but not make or end one: refused, audited, nothing changes', async ({ harness: h, answer }) => {
    expect(await answer('silence provider=openai 2h migration', STRANGER)).toContain('You are not allowed to make a silence from Slack: not an approver');
    expect(await answer('unsilence sil_x', STRANGER)).toContain('You are not allowed to end a silence from Slack');
    expect(await answer('silences', STRANGER)).toContain('No silences');
    expect(await rows(h)).toEqual([]);
    const denied = await h.db.db.select().from(schema.sreActions).where(eq(schema.sreActions.kind, 'decision.denied'));
    expect(denied.map((d) => d.payload.proposal_ref)).toEqual(['/sre silence', '/sre unsilence']);
  });
});
