import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { INGEST_TOKEN, event, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let a: RunningAgent;
const count = async (table: string) => (await queryRows<{ n: number }>(db.db, sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n;

beforeAll(async () => {
  db = await freshPostgres();
  a = await startAgent(db);
});
afterAll(async () => {
  await a.stop();
  await db.dispose();
});

describe('POST /v1/events', () => {
  it('accepts each of the four event types', async () => {
    const events = [
      unhealthy('mistral'),
      event('budget.exceeded', { scope: 'team', scope_id: 't-search', limit_kind: 'hard', limit_usd: 100, spend_usd: 120, period: '2026-11' }),
      event('sla.violation', { sla_id: 'sla-search-p99', team: 't-search', metric: 'p99_latency_ms', target: 800, observed: 1900, window_seconds: 600 }),
      event('latency.spike', { provider: 'vertex', model_group: 'gemini-pro', latency_ms: 5000, rolling_median_ms: 700 }),
    ];
    const r = await post(a.base, '/v1/events', events, INGEST_TOKEN);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toEqual(events.map((e) => e.id));
    expect(r.body.incidents_opened).toHaveLength(4);
  });

  it('refuses requests without the bearer token and stores nothing', async () => {
    const before = await count('events');
    expect((await post(a.base, '/v1/events', unhealthy())).status).toBe(401);
    expect((await post(a.base, '/v1/events', unhealthy(), 'wrong-token')).status).toBe(401);
    expect(await count('events')).toBe(before);
  });

  it('answers bad events with 400 naming every problem, and stores nothing', async () => {
    const before = await count('events');
    const malformed = await post(a.base, '/v1/events', undefined, INGEST_TOKEN, '{"id": "evt_1", ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/malformed JSON/);
    const bad = [
      event('provider.exploded', { provider: 'x' }),
      { ...unhealthy(), data: { provider: 'openai', requests: 5, window_seconds: 60 } },
      { ...unhealthy(), data: { provider: 'openai', error_rate: 'high', requests: 5, window_seconds: 60 } },
    ];
    const r = await post(a.base, '/v1/events', bad, INGEST_TOKEN);
    expect(r.status).toBe(400);
    const problems = r.body.rejected.map((x: { problems: string[] }) => x.problems.join(' | '));
    expect(problems[0]).toMatch(/type: unknown event type/);
    expect(problems[1]).toMatch(/data\.error_rate/);
    expect(problems[2]).toMatch(/data\.error_rate/);
    expect(await count('events')).toBe(before);
  });

  it('refuses a body over 1 MB with 413', async () => {
    const before = await count('events');
    const huge = { ...unhealthy(), data: { provider: 'openai', error_rate: 0.5, requests: 1, window_seconds: 60, sample_errors: ['x'.repeat(1_100_000)] } };
    const r = await post(a.base, '/v1/events', huge, INGEST_TOKEN);
    expect(r.status).toBe(413);
    expect(await count('events')).toBe(before);
  });

  it('accepts the good events of a mixed batch and reports the bad ones', async () => {
    const good = unhealthy('bedrock');
    const r = await post(a.base, '/v1/events', [good, { id: 'evt_bad', type: 'latency.spike', occurred_at: 'yesterday', source: 'x', data: {} }], INGEST_TOKEN);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toEqual([good.id]);
    expect(r.body.rejected[0]).toMatchObject({ index: 1, id: 'evt_bad' });
  });

  it('treats the same event id twice as one event', async () => {
    const e = unhealthy('azure-openai');
    const first = await post(a.base, '/v1/events', e, INGEST_TOKEN);
    const second = await post(a.base, '/v1/events', [e, e], INGEST_TOKEN);
    expect(first.body.accepted).toEqual([e.id]);
    expect(second.body.accepted).toEqual([]);
    expect(second.body.duplicates).toEqual([e.id, e.id]);
    const rows = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from events where id = ${e.id}`);
    expect(rows[0]!.n).toBe(1);
  });

  it('keeps the earliest event as the incident\'s first and the latest as its latest, whatever order the batches come in', async () => {
    // A later batch stored before an earlier one: two replicas' batches, or a batch retried after the one read beside it committed.
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 25, 10, minute)).toISOString();
    const later = [1, 2].map((m) => ({ ...unhealthy('order-p', { requests: 2000 + m }), occurred_at: at(m + 10) }));
    const earlier = [1, 2].map((m) => ({ ...unhealthy('order-p', { requests: 1000 + m }), occurred_at: at(m) }));
    expect((await post(a.base, '/v1/events', later, INGEST_TOKEN)).status).toBe(202);
    expect((await post(a.base, '/v1/events', earlier, INGEST_TOKEN)).status).toBe(202);
    const [row] = await queryRows<{ first: { requests: number }; latest: { requests: number }; event_count: number }>(
      db.db,
      sql`select first, latest, event_count::int from incidents where key = 'provider:order-p'`,
    );
    expect(row).toMatchObject({ event_count: 4, first: { requests: 1001 }, latest: { requests: 2002 } });
  });

  it('correlates 200 events for one provider into one incident with one proposal', async () => {
    const events = Array.from({ length: 200 }, (_, i) => unhealthy('anthropic', { requests: 1000 + i, model_group: 'claude-sonnet' }));
    for (let i = 0; i < 200; i += 50) expect((await post(a.base, '/v1/events', events.slice(i, i + 50), INGEST_TOKEN)).status).toBe(202);
    await a.agent.tick();
    await a.agent.tick();
    const inc = await queryRows<{ id: string; event_count: number }>(db.db, sql`select id, event_count::int from incidents where key = 'provider:anthropic'`);
    expect(inc).toHaveLength(1);
    expect(inc[0]!.event_count).toBe(200);
    const props = await queryRows(db.db, sql`select id from proposals where incident_id = ${inc[0]!.id}`);
    expect(props).toHaveLength(1);
    // Every event is in the trail once: its id in one `events.received` row of its incident.
    const received = await queryRows<{ n: number; ids: number }>(
      db.db,
      sql`select count(*)::int as n, count(distinct r.id)::int as ids from sre_actions a cross join jsonb_array_elements_text(a.payload->'event_ids') r(id)
          where a.kind = 'events.received' and a.incident_id = ${inc[0]!.id}`,
    );
    expect(received[0]).toEqual({ n: 200, ids: 200 });
    // The proposal's audit row records what it was reasoned from.
    const [created] = await queryRows<{ payload: { evidence: Record<string, unknown> } }>(
      db.db,
      sql`select payload from sre_actions where kind = 'proposal.created' and incident_id = ${inc[0]!.id}`,
    );
    const [row] = await queryRows<{ first: unknown; latest: unknown }>(db.db, sql`select first, latest from incidents where id = ${inc[0]!.id}`);
    expect(created!.payload.evidence).toMatchObject({ event_count: 200, first_event_data: row!.first, latest_event_data: row!.latest });
    const ids = new Set(events.map((e) => e.id));
    const recent = created!.payload.evidence.recent_event_ids as string[];
    expect(recent).toHaveLength(10);
    expect(recent.every((id) => ids.has(id))).toBe(true);
  });
});
