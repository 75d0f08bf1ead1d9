import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { ALICE, INGEST_TOKEN, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import { workdayClock, type TestClock } from '../support/clock.js';
import type { TestDatabase } from '../support/db.js';
import { agentTest as it } from '../support/fixtures.js';

/**
 * Issue 20, item 3: weekly maintenance windows in the operators' time zone, from SRE_MAINTENANCE
 * and from the API, on a pinned clock across the European and the US daylight-saving changes.
 */

const silencedBy = async (db: TestDatabase) => {
  const rows = await queryRows<{ provider: string; ids: string[] }>(
    db.db,
    sql`select i.latest->>'provider' as provider, a.payload->'silence_ids' as ids from sre_actions a join incidents i on i.id = a.incident_id where a.kind = 'events.silenced' order by a.seq`,
  );
  return Object.fromEntries(rows.map((r) => [r.provider, r.ids]));
};
const proposed = async (x: RunningAgent) => ((await get(x.base, '/v1/proposals', ALICE)).body.proposals as { incident: { latest: { provider: string } } }[]).map((p) => p.incident.latest.provider).sort();

async function ingestAt(x: RunningAgent, clock: TestClock, iso: string, provider: string) {
  await clock.set(Date.parse(iso));
  expect((await post(x.base, '/v1/events', unhealthy(provider, { occurred_at: iso }), INGEST_TOKEN)).status).toBe(202);
  await x.agent.tick();
}

describe('maintenance windows', () => {
  it('SRE_MAINTENANCE in Europe/Berlin: 02:00–04:00 local is 01:00–03:00Z before the spring change and 01:00–02:00Z on its night; held incidents proceed after', async ({ db, startAgent }) => {
    const clock = workdayClock(Date.parse('2026-03-22T02:30:00Z'));
    const a = await startAgent({ SRE_TIMEZONE: 'Europe/Berlin', SRE_MAINTENANCE: 'sun 02:00-04:00 provider=azure-*', SRE_INCIDENT_QUIET: '30d' }, { clock });
    const windows = (await get(a.base, '/v1/silences', ALICE)).body.silences;
    expect(windows).toEqual([expect.objectContaining({ id: 'mnt_1', source: 'config', schedule: 'sun 02:00-04:00', active: true, next: { starts_at: '2026-03-22T01:00:00.000Z', ends_at: '2026-03-22T03:00:00.000Z' } })]);
    await ingestAt(a, clock, '2026-03-22T02:30:00Z', 'azure-a'); // 03:30 CET: inside
    await ingestAt(a, clock, '2026-03-29T01:30:00Z', 'azure-b'); // 03:30 CEST: inside (the window is 03:00–04:00 that night)
    await ingestAt(a, clock, '2026-03-29T02:30:00Z', 'azure-c'); // 04:30 CEST: after it
    expect(await silencedBy(db)).toEqual({ 'azure-a': ['mnt_1'], 'azure-b': ['mnt_1'] });
    // The held ones are released by the recurring sweep once their window is over; proposals follow.
    await a.agent.tick();
    await a.agent.tick();
    expect(await proposed(a)).toEqual(['azure-a', 'azure-b', 'azure-c']);
  });

  it('through the API in America/New_York: the window moves with the autumn change (06:00Z in EDT, 07:00Z in EST)', async ({ db, startAgent }) => {
    const clock = workdayClock(Date.parse('2026-10-24T12:00:00Z'));
    const a = await startAgent({ SRE_TIMEZONE: 'America/New_York', SRE_INCIDENT_QUIET: '30d' }, { clock });
    const made = await post(a.base, '/v1/silences', { matchers: { provider: 'azure-*' }, schedule: 'Sunday 02:00-04:00', reason: 'weekly patching' }, ALICE);
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ schedule: 'sun 02:00-04:00', ends_at: null, active: false, next: { starts_at: '2026-10-25T06:00:00.000Z', ends_at: '2026-10-25T08:00:00.000Z' } });
    expect((await post(a.base, '/v1/silences', { matchers: { provider: 'azure-*' }, schedule: 'sun 2-4', reason: 'x' }, ALICE)).body).toMatchObject({ code: 'invalid', error: expect.stringMatching(/schedule "sun 2-4": expected times as HH:MM-HH:MM/) });
    const id = made.body.id as string;
    await ingestAt(a, clock, '2026-10-25T06:30:00Z', 'azure-a'); // 02:30 EDT: inside
    await ingestAt(a, clock, '2026-11-01T06:30:00Z', 'azure-b'); // 01:30 EST, the second 01:30: before the window
    await ingestAt(a, clock, '2026-11-01T07:30:00Z', 'azure-c'); // 02:30 EST: inside
    expect(await silencedBy(db)).toEqual({ 'azure-a': [id], 'azure-c': [id] });
    const listed = (await get(a.base, '/v1/silences', ALICE)).body.silences[0];
    expect(listed).toMatchObject({ id, active: true, next: { starts_at: '2026-11-01T07:00:00.000Z', ends_at: '2026-11-01T09:00:00.000Z' } });
    expect(await proposed(a)).toEqual(['azure-a', 'azure-b']);
  });

  it('a bad SRE_MAINTENANCE stops the start, naming the window and the problem', () => {
    expect(() => loadConfig({ SRE_MAINTENANCE: 'sun 02:00-04:00 provider=azure; someday 01:00-02:00 provider=x' })).toThrow(ConfigError);
    expect(() => loadConfig({ SRE_MAINTENANCE: 'sun 02:00-04:00 region=eu' })).toThrow(/SRE_MAINTENANCE: window 1: matchers\.region: unknown matcher key/);
    expect(loadConfig({ SRE_MAINTENANCE: 'sun 02:00-04:00 provider=azure-openai' }).maintenance).toEqual([expect.objectContaining({ id: 'mnt_1', matchers: { provider: 'azure-openai' } })]);
  });
});
