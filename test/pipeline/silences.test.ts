import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { ALICE, BOB, INGEST_TOKEN, get, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { workdayClock, WORKDAY_START, type TestClock } from '../support/clock.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { sample } from '../ship/support.js';

/**
 * Issue 20, items 1 and 2 over the JSON API on a pinned clock: a silence holds matching incidents
 * (events stored and audited, no proposal), an approval of a held proposal is 409 `silenced`, and
 * when the silence ends (or is ended) while the condition persists a proposal follows.
 */

let db: TestDatabase;
let clock: TestClock;
const agents: RunningAgent[] = [];
const HOUR = 3_600_000;

beforeEach(async () => {
  db = await freshPostgres();
  clock = workdayClock();
});
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
  await db.dispose();
});

async function agent(env: Record<string, string> = {}): Promise<RunningAgent> {
  const a = await startAgent(db, { SRE_INCIDENT_QUIET: '1d', ...env }, { clock });
  agents.push(a);
  return a;
}
const audit = (kind: string) => queryRows<{ actor: string; incident_id: string | null; payload: Record<string, any> }>(db.db, sql`select actor, incident_id, payload from sre_actions where kind = ${kind} order by seq`);
const count = async (table: 'silences' | 'proposals') => Number((await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from ${sql.raw(table)}`))[0]!.n);
const at = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();
const proposals = async (a: RunningAgent) => (await get(a.base, '/v1/proposals', ALICE)).body.proposals as { id: string; status: string; incident_id: string; incident: { latest: { provider: string } } }[];
const ingest = async (a: RunningAgent, provider = 'openai') => {
  expect((await post(a.base, '/v1/events', unhealthy(provider, { occurred_at: clock.now().toISOString() }), INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
};
const silence = (a: RunningAgent, body: Record<string, unknown>, token = ALICE) => post(a.base, '/v1/silences', body, token);
async function del(a: RunningAgent, id: string, token = ALICE) {
  const res = await fetch(`${a.base}/v1/silences/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
}

describe('bad input makes no silence', () => {
  it('answers 400 naming the problem and stores nothing', async () => {
    const a = await agent();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ matchers: { provider: 'openai' }, reason: 'x' }, /ends_at: required/],
      [{ matchers: { provider: 'openai' }, ends_at: at(-60_000), reason: 'x' }, /ends_at: .* is in the past/],
      [{ matchers: { provider: 'openai' }, ends_at: at(8 * 24 * HOUR), reason: 'x' }, /ends_at: at most 7 days ahead/],
      [{ matchers: {}, ends_at: at(HOUR), reason: 'x' }, /at least one matcher/],
      [{ ends_at: at(HOUR), reason: 'x' }, /matchers: expected an object/],
      [{ matchers: { region: 'eu' }, ends_at: at(HOUR), reason: 'x' }, /matchers\.region: unknown matcher key/],
      [{ matchers: { provider: 'open*ai' }, ends_at: at(HOUR), reason: 'x' }, /only at the end/],
      [{ matchers: { provider: 'openai' }, ends_at: at(HOUR) }, /reason: a silence needs a reason/],
      [{ matchers: { provider: 'openai' }, ends_at: 'tomorrow', reason: 'x' }, /ends_at: expected an ISO time/],
    ];
    for (const [body, problem] of cases) {
      const r = await silence(a, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body).toMatchObject({ code: 'invalid', error: expect.stringMatching(problem) });
    }
    expect((await silence(a, { matchers: { provider: 'openai' }, ends_at: at(HOUR), reason: 'x' }, 'not-a-token')).status).toBe(401);
    expect(await count('silences')).toBe(0);
    expect(await audit('silence.created')).toEqual([]);
    expect((await del(a, 'sil_nope')).status).toBe(404);
  });
});

describe('what a silence does', () => {
  it('holds matching incidents: events stored and audited, no proposal; when it runs out and the condition persists, a proposal follows', async () => {
    const a = await agent();
    const made = await silence(a, { matchers: { provider: 'open*' }, ends_at: at(2 * HOUR), reason: 'migration' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ id: expect.stringMatching(/^sil_/), matchers: { provider: 'open*' }, active: true, created_by: 'alice', reason: 'migration' });
    const id = made.body.id as string;
    expect((await get(a.base, '/v1/silences', BOB)).body.silences.map((s: { id: string }) => s.id)).toEqual([id]);

    await ingest(a, 'openai');
    await ingest(a, 'bedrock');
    expect((await proposals(a)).map((p) => p.incident.latest.provider)).toEqual(['bedrock']);
    const [ev] = await audit('events.silenced');
    expect(ev).toMatchObject({ actor: 'system:ingest', payload: { silence_ids: [id], event_ids: [expect.any(String)] } });
    expect((await audit('events.received')).length).toBe(2);
    expect(await audit('incident.silenced')).toEqual([expect.objectContaining({ incident_id: ev!.incident_id, payload: expect.objectContaining({ silence_id: id, by: 'alice', reason: 'migration' }) })]);
    expect(sample(await (await fetch(`${a.base}/metrics`)).text(), 'sre_events_silenced_total', { matcher: 'provider' })).toBe(1);

    // Still silenced an hour later: the incident correlates the new event and still proposes nothing.
    await clock.advance(HOUR);
    await ingest(a, 'openai');
    await a.agent.tick();
    expect((await proposals(a)).length).toBe(1);
    expect((await audit('events.silenced')).length).toBe(2);
    expect(new Set((await audit('events.silenced')).map((r) => r.incident_id)).size).toBe(1);

    // The silence runs out; the condition persists: the release job and then the proposal.
    await clock.advance(HOUR + 1000);
    await a.agent.tick();
    await a.agent.tick();
    const after = await proposals(a);
    expect(after.map((p) => p.incident.latest.provider).sort()).toEqual(['bedrock', 'openai']);
    expect(after.find((p) => p.incident.latest.provider === 'openai')!.incident_id).toBe(ev!.incident_id);
    expect(await audit('incident.unsilenced')).toEqual([expect.objectContaining({ incident_id: ev!.incident_id, payload: expect.objectContaining({ silence_id: id }) })]);
    expect((await get(a.base, '/v1/silences', ALICE)).body.silences).toEqual([]);
  });

  it('a pending proposal is held while a matching silence lasts (approval 409 silenced), and released when it is ended', async () => {
    const a = await agent({ SRE_AUTO_APPROVE: 'false' });
    await ingest(a, 'openai');
    const [p] = await proposals(a);
    expect(p).toMatchObject({ status: 'pending' });
    const s = (await silence(a, { matchers: { type: 'provider.*', provider: 'openai' }, ends_at: at(3 * HOUR), reason: 'migration' })).body;
    const refused = await post(a.base, `/v1/proposals/${p!.id}/decision`, { decision: 'approve' }, BOB);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'silenced', error: expect.stringMatching(/silenced until 13:00 by alice: migration/) });
    expect((await get(a.base, `/v1/proposals/${p!.id}`, ALICE)).body.status).toBe('pending');
    expect((await audit('decision.refused'))[0]).toMatchObject({ actor: 'bob', payload: { code: 'silenced', silence_id: s.id } });

    const ended = await del(a, s.id, BOB);
    expect(ended.body).toMatchObject({ id: s.id, ended_by: 'bob', active: false });
    expect((await del(a, s.id, BOB)).status).toBe(409);
    expect((await audit('silence.ended'))[0]).toMatchObject({ actor: 'bob', payload: { silence_id: s.id } });
    const ok = await post(a.base, `/v1/proposals/${p!.id}/decision`, { decision: 'approve' }, BOB);
    expect(ok.status).toBe(200);
    expect(ok.body.status).not.toBe('pending');
  });

  it('a held proposal is not escalated (nobody is paged) while the silence lasts; it is once the silence is over', async () => {
    const a = await agent({ SRE_ESCALATE_AFTER: '15m' });
    await ingest(a, 'openai');
    expect((await proposals(a))[0]).toMatchObject({ status: 'pending' });
    await silence(a, { matchers: { provider: 'openai' }, ends_at: at(HOUR), reason: 'migration' });
    await clock.advance(16 * 60_000);
    await a.agent.tick();
    expect(await audit('proposal.escalated')).toEqual([]);
    await clock.advance(45 * 60_000);
    await a.agent.tick();
    await a.agent.tick();
    expect((await audit('proposal.escalated')).length).toBe(1);
  });

  it('a silence made ahead of time holds nothing until it starts', async () => {
    const a = await agent();
    const s = (await silence(a, { matchers: { provider: 'openai' }, starts_at: at(HOUR), ends_at: at(2 * HOUR), reason: 'tonight' })).body;
    expect(s).toMatchObject({ active: false });
    await ingest(a, 'openai');
    expect((await proposals(a)).length).toBe(1);
    await clock.advance(HOUR + 1000);
    await ingest(a, 'openai');
    expect((await audit('events.silenced')).map((r) => r.payload.silence_ids)).toEqual([[s.id]]);
    const refused = await post(a.base, `/v1/proposals/${(await proposals(a))[0]!.id}/decision`, { decision: 'approve' }, BOB);
    expect(refused.body).toMatchObject({ code: 'silenced' });
  });

  it('two overlapping silences both apply: ending one leaves the other', async () => {
    const a = await agent();
    const one = (await silence(a, { matchers: { provider: 'openai' }, ends_at: at(HOUR), reason: 'one' })).body;
    const two = (await silence(a, { matchers: { model_group: 'gpt-*' }, ends_at: at(2 * HOUR), reason: 'two' })).body;
    await ingest(a, 'openai');
    expect((await audit('events.silenced'))[0]!.payload.silence_ids).toEqual([one.id, two.id].sort());
    await del(a, one.id);
    await a.agent.tick();
    await a.agent.tick();
    expect(await proposals(a)).toEqual([]);
    await del(a, two.id);
    await a.agent.tick();
    await a.agent.tick();
    expect((await proposals(a)).length).toBe(1);
  });

  it('two replicas agree: the release proposes once', async () => {
    const a = await agent();
    const b = await agent();
    const s = (await silence(a, { matchers: { provider: 'openai' }, ends_at: at(HOUR), reason: 'migration' })).body;
    await ingest(a, 'openai');
    await b.agent.tick();
    expect(await count('proposals')).toBe(0);
    await del(b, s.id);
    await Promise.all([a.agent.tick(), b.agent.tick()]);
    await Promise.all([a.agent.tick(), b.agent.tick()]);
    expect(await count('proposals')).toBe(1);
    expect((await audit('incident.unsilenced')).length).toBe(1);
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(WORKDAY_START);
  });
});
