import { systemClock } from '../../src/clock.js';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRetention } from '../../src/audit/retention.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { queryRows } from '../../src/db/client.js';
import type { PlatformEvent } from '../../src/domain/events.js';
import { ingestEvents, type Via } from '../../src/ingest/ingest.js';
import { backdate } from './support/backdate.js';
import { freshPglite, freshPostgres, type TestDatabase } from '../support/db.js';

const logger = pino({ level: 'silent' });

function ev(i: number, provider: string, extra: Record<string, unknown> = {}): PlatformEvent {
  return {
    id: `evt_trail_${provider}_${i}`,
    type: 'provider.unhealthy',
    occurred_at: new Date(Date.UTC(2026, 10, 25, 10, 0, 0) + i * 1000).toISOString(),
    source: 'admin-api',
    data: { provider, error_rate: 0.5 + i / 1000, requests: 1000 + i, window_seconds: 60, ...extra },
  };
}

type Received = {
  seq: number;
  incident_id: string;
  payload: { via: string; count: number; event_ids: string[]; digest: string; first_occurred_at: string; last_occurred_at: string };
};

for (const [label, make] of [['postgres', freshPostgres], ['pglite', freshPglite]] as const) {
  describe(`event receipt in the audit trail on ${label}`, () => {
    let d: TestDatabase;
    const ingest = (events: PlatformEvent[], via: Via = 'http') =>
      ingestEvents({ db: d.db, channels: ['slack'], clock: systemClock, logger }, events.map((event) => ({ event, via })));
    const received = () => queryRows<Received>(d.db, sql`select seq::int, incident_id, payload from sre_actions where kind = 'events.received' order by seq`);

    beforeAll(async () => {
      d = await make();
    });
    afterAll(async () => d.dispose());

    it('records one row per incident per batch listing every stored id with a digest of the stored rows', async () => {
      // Out of order on purpose: the row lists ids sorted, first/last by time.
      const batch = [ev(3, 'alpha'), ev(1, 'alpha'), ev(2, 'beta'), ev(2, 'alpha'), ev(1, 'beta')];
      const out = await ingest(batch);
      expect(out.accepted).toHaveLength(5);
      const rows = await received();
      expect(rows).toHaveLength(2);
      const incidents = await queryRows<{ id: string; key: string }>(d.db, sql`select id, key from incidents order by key`);
      const alpha = rows.find((r) => r.incident_id === incidents[0]!.id)!;
      expect(incidents[0]!.key).toBe('provider:alpha');
      expect(alpha.payload).toMatchObject({
        via: 'http',
        count: 3,
        event_ids: ['evt_trail_alpha_1', 'evt_trail_alpha_2', 'evt_trail_alpha_3'],
        first_occurred_at: '2026-11-25T10:00:01.000000Z',
        last_occurred_at: '2026-11-25T10:00:03.000000Z',
      });
      expect(alpha.payload.digest).toMatch(/^[0-9a-f]{64}$/);
      // The digest is the stored rows' digest, recomputable at any time.
      const [again] = await queryRows<{ found: number; digest: string }>(d.db, sql`select * from sre_events_digest(${`{${alpha.payload.event_ids.join(',')}}`}::text[])`);
      expect(again).toEqual({ found: 3, digest: alpha.payload.digest });
      // The incident's opening row carries its first event whole.
      const [opened] = await queryRows<{ payload: { first_event: PlatformEvent } }>(
        d.db,
        sql`select payload from sre_actions where kind = 'incident.opened' and incident_id = ${alpha.incident_id}`,
      );
      expect(opened!.payload.first_event).toEqual(batch[1]);
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true, eventBatchesChecked: 2, eventBatchesPurged: 0 });
    });

    it('lists only the ids a later batch actually stored, and writes nothing for an all-duplicate batch', async () => {
      const before = (await received()).length;
      await ingest([ev(1, 'alpha'), ev(2, 'alpha')], 'stream');
      expect(await received()).toHaveLength(before);
      const out = await ingest([ev(3, 'alpha'), ev(4, 'alpha')], 'stream');
      expect(out).toMatchObject({ accepted: ['evt_trail_alpha_4'], duplicates: ['evt_trail_alpha_3'] });
      const last = (await received()).at(-1)!;
      expect(last.payload).toMatchObject({ via: 'stream', count: 1, event_ids: ['evt_trail_alpha_4'] });
      const [inc] = await queryRows<{ event_count: number; latest: Record<string, unknown> }>(d.db, sql`select event_count::int, latest from incidents where key = 'provider:alpha'`);
      expect(inc).toEqual({ event_count: 4, latest: ev(4, 'alpha').data });
    });

    it('opens a new incident from the stored events only, when the batch also repeats an older one', async () => {
      await d.db.execute(sql`update incidents set status = 'closed', closed_at = now() where key = 'provider:alpha'`);
      // evt 1 is stored (in the closed incident) and earlier than the new evt 5.
      const out = await ingest([ev(1, 'alpha'), ev(5, 'alpha')]);
      expect(out).toMatchObject({ accepted: ['evt_trail_alpha_5'], duplicates: ['evt_trail_alpha_1'] });
      const [inc] = await queryRows<{ event_count: number; first_seen: string; last_seen: string; first: unknown; latest: unknown }>(
        d.db,
        sql`select event_count::int, to_char(first_seen at time zone 'UTC', 'HH24:MI:SS') as first_seen, to_char(last_seen at time zone 'UTC', 'HH24:MI:SS') as last_seen, first, latest
            from incidents where key = 'provider:alpha' and status = 'open'`,
      );
      expect(inc).toEqual({ event_count: 1, first_seen: '10:00:05', last_seen: '10:00:05', first: ev(5, 'alpha').data, latest: ev(5, 'alpha').data });
      const [opened] = await queryRows<{ payload: { first_event: { id: string } } }>(
        d.db,
        sql`select a.payload from sre_actions a join incidents i on i.id = a.incident_id where a.kind = 'incident.opened' and i.status = 'open' and i.key = 'provider:alpha'`,
      );
      expect(opened!.payload.first_event.id).toBe('evt_trail_alpha_5');
    });

    it('refuses UPDATE, DELETE and TRUNCATE on stored events and leaves them unchanged', async () => {
      const before = await queryRows(d.db, sql`select * from events order by id`);
      await expect(d.db.execute(sql`update events set data = '{}'::jsonb where id = 'evt_trail_alpha_1'`)).rejects.toThrow();
      await expect(d.db.execute(sql`delete from events where id = 'evt_trail_alpha_1'`)).rejects.toThrow();
      await expect(d.db.execute(sql`truncate events`)).rejects.toThrow();
      expect(await queryRows(d.db, sql`select * from events order by id`)).toEqual(before);
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true });
    });

    it('names the receipt row of an event changed behind the application’s back', async () => {
      const row = (await received()).find((r) => r.payload.event_ids.includes('evt_trail_beta_2'))!;
      await d.db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        await tx.execute(sql`update events set data = jsonb_set(data, '{error_rate}', '0.01') where id = 'evt_trail_beta_2'`);
      });
      const r = await verifyAudit(d.db);
      expect(r).toMatchObject({ ok: false, brokenSeq: row.seq });
      expect(r.problem).toMatch(/changed after it was recorded/);
      // Put it back: the digest matches again.
      await d.db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        await tx.execute(sql`update events set data = ${JSON.stringify(ev(2, 'beta').data)}::jsonb where id = 'evt_trail_beta_2'`);
      });
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true });
    });

    it('names the receipt row of an event deleted outside retention', async () => {
      const row = (await received()).find((r) => r.payload.event_ids.includes('evt_trail_beta_1'))!;
      await d.db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        await tx.execute(sql`delete from events where id = 'evt_trail_beta_1'`);
      });
      const r = await verifyAudit(d.db);
      expect(r).toMatchObject({ ok: false, brokenSeq: row.seq });
      expect(r.problem).toMatch(/1 are stored: events were deleted outside retention/);
      // Deleting the whole batch is no way out: no retention cutoff covers it.
      await d.db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        await tx.execute(sql`delete from events where id = 'evt_trail_beta_2'`);
      });
      const all = await verifyAudit(d.db);
      expect(all).toMatchObject({ ok: false, brokenSeq: row.seq });
      expect(all.problem).toMatch(/lists 2 event\(s\) but 0 are stored/);
    });

    it('retention deletes events only through its function; the trail still verifies', async () => {
      // Ten years back, business tier: every row and event is past the cutoff.
      await backdate(d.db, new Date(Date.now() + 60_000).toISOString(), 10 * 365);
      const r = await runRetention(d.db, 'business', 'system:retention');
      expect(r.eventsPurged).toBeGreaterThan(0);
      expect(await queryRows(d.db, sql`select id from events`)).toEqual([]);
      // The deletion is itself in the trail, with the cutoff verify checks receipts against.
      const [purged] = await queryRows<{ actor: string; payload: { cutoff: string; purged_count: number } }>(
        d.db,
        sql`select actor, payload from sre_actions where kind = 'events.purged' order by seq desc limit 1`,
      );
      expect(purged).toMatchObject({ actor: 'system:retention', payload: { purged_count: r.eventsPurged } });
      expect(purged!.payload.cutoff.startsWith(r.cutoff.toISOString().slice(0, -1))).toBe(true);
      // The purge keeps the newest audit row (the anchor continues from it), whatever its age.
      const after = await verifyAudit(d.db);
      expect(after).toMatchObject({ ok: true, eventBatchesChecked: 0 });
      // A receipt whose events a recorded purge removed counts as purged, not broken.
      await ingest([ev(1, 'gamma'), ev(2, 'gamma')]);
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true, eventBatchesChecked: 1 });
      await backdate(d.db, new Date(Date.now() + 60_000).toISOString(), 10 * 365);
      await runRetention(d.db, 'business', 'test');
      // One function purges both: the receipts went with their events (or, the newest row, count as purged).
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true, eventBatchesChecked: 0 });
    });
  });
}
