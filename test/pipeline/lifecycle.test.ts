import { readingClock } from '../support/clock.js';
import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RETENTION_DAYS } from '../../src/audit/purge.js';
import { runRetention } from '../../src/audit/retention.js';
import { verifyAudit } from '../../src/audit/verify.js';
import type { LicenseTier } from '../../src/config.js';
import { queryRows, schema } from '../../src/db/client.js';
import { parseEvent, type PlatformEvent } from '../../src/domain/events.js';
import { closeQuietIncidents } from '../../src/ingest/close-quiet.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { unhealthy } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { backdate } from '../audit/support/backdate.js';

const logger = pino({ level: 'silent' });
let db: TestDatabase;
beforeEach(async () => {
  db = await freshPostgres();
});
afterEach(async () => db.dispose());

const parsed = (raw: unknown): PlatformEvent => {
  const r = parseEvent(raw);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.event;
};
const at = (iso: string) => () => new Date(iso);
const ingestAt = (iso: string, events: PlatformEvent[]) => ingestEvents({ db: db.db, channels: [], clock: readingClock(at(iso)), logger }, events.map((event) => ({ event, via: 'http' as const })));

describe('incident lifecycle', () => {
  it('closes an incident after its quiet period, audits it, and a later event opens a new one', async () => {
    const first = [parsed(unhealthy('openai')), parsed(unhealthy('openai'))];
    await ingestAt('2026-11-25T10:00:00Z', first);
    // Still within 30 minutes of the last event: stays open.
    expect(await closeQuietIncidents({ db: db.db, channels: [], clock: readingClock(at('2026-11-25T10:20:00Z')), logger }, 30 * 60_000)).toEqual([]);
    await ingestAt('2026-11-25T10:25:00Z', [parsed(unhealthy('openai'))]);
    expect(await closeQuietIncidents({ db: db.db, channels: [], clock: readingClock(at('2026-11-25T10:50:00Z')), logger }, 30 * 60_000)).toEqual([]);
    const closed = await closeQuietIncidents({ db: db.db, channels: [], clock: readingClock(at('2026-11-25T10:56:00Z')), logger }, 30 * 60_000);
    expect(closed).toHaveLength(1);
    const [old] = await db.db.select().from(schema.incidents).where(eq(schema.incidents.id, closed[0]!));
    expect(old).toMatchObject({ status: 'closed', eventCount: 3 });
    const audit = await queryRows<{ kind: string; payload: { event_count: number } }>(db.db, sql`select kind, payload from sre_actions where incident_id = ${old!.id} and kind = 'incident.closed'`);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.payload.event_count).toBe(3);

    const again = await ingestAt('2026-11-25T11:00:00Z', [parsed(unhealthy('openai'))]);
    expect(again.incidentsOpened).toHaveLength(1);
    expect(again.incidentsOpened[0]).not.toBe(old!.id);
    const open = await db.db.select().from(schema.incidents).where(eq(schema.incidents.status, 'open'));
    expect(open).toHaveLength(1);
    expect(open[0]!.eventCount).toBe(1);
  });
});

describe('retention', () => {
  for (const tier of ['trial', 'team', 'business', 'enterprise'] as LicenseTier[]) {
    it(`purges audit rows and raw events past the ${tier} window, keeps younger ones, and still verifies`, async () => {
      await ingestAt('2020-01-01T00:00:00Z', [parsed(unhealthy('openai')), parsed(unhealthy('mistral'))]);
      // The boundary between the old rows and the young ones, as the database recorded it.
      await new Promise((r) => setTimeout(r, 20));
      const [b] = await queryRows<{ t: string }>(db.db, sql`select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as t`);
      await new Promise((r) => setTimeout(r, 20));
      const young = [parsed(unhealthy('vertex'))];
      await ingestEvents({ db: db.db, channels: [], clock: readingClock(() => new Date(Date.now() + RETENTION_DAYS[tier] * 86_400_000)), logger }, young.map((event) => ({ event, via: 'http' as const })));
      const oldAudit = (await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from sre_actions where occurred_at < ${b!.t}::timestamptz`))[0]!.n;
      expect(oldAudit).toBeGreaterThan(0);

      // Retention is judged on the database's clock: the old rows are made older than the window.
      await backdate(db.db, b!.t, RETENTION_DAYS[tier] + 1);
      const r = await runRetention(db.db, tier, 'system:retention');
      expect(r.auditPurged).toBe(oldAudit);
      expect(r.eventsPurged).toBe(2);
      const left = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from sre_actions where occurred_at < ${b!.t}::timestamptz`);
      expect(left[0]!.n).toBe(0);
      const events = await db.db.select({ id: schema.events.id }).from(schema.events);
      expect(events.map((e) => e.id)).toEqual([young[0]!.id]);
      const anchor = await queryRows<{ payload: { purged_count: number } }>(db.db, sql`select payload from sre_actions where kind = 'audit.purged'`);
      expect(anchor).toHaveLength(1);
      expect(anchor[0]!.payload.purged_count).toBe(oldAudit);
      expect(await verifyAudit(db.db)).toMatchObject({ ok: true });
    });
  }
});
