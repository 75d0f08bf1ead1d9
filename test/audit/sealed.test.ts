import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import type { PlatformEvent } from '../../src/domain/events.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import { purgeAudit } from '../../src/audit/purge.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { queryRows } from '../../src/db/client.js';
import { freshPglite, freshPostgres, type TestDatabase } from '../support/db.js';
import { refusal } from './support/refusal.js';

/**
 * Issue 18, item 6: no session setting unlocks a change to the trail. Each attack here succeeded
 * on the old main (the `sre.audit_purge` / `sre.events_purge` / `sre.chain_tail` settings).
 */
const system = { type: 'system', name: 'ingest' } as const;
const opened = (i: number) => ({ kind: 'incident.opened' as const, actor: system, incidentId: `inc_${i}`, payload: { key: `k${i}`, type: 't', subject: 's' } });

for (const [label, make] of [['postgres', freshPostgres], ['pglite', freshPglite]] as const) {
  describe(`the sealed audit trail on ${label}`, () => {
    let d: TestDatabase;
    const rows = () => queryRows<{ seq: number; hash: string; prev_hash: string; actor: string }>(d.db, sql`select seq::int as seq, hash, prev_hash, actor from sre_actions order by seq`);
    beforeAll(async () => {
      d = await make();
      await d.db.transaction(async (tx) => appendAudit(tx, ...Array.from({ length: 12 }, (_, i) => opened(i))));
      const event = { id: 'evt_sealed_1', type: 'provider.unhealthy', occurred_at: new Date().toISOString(), source: 'admin-api', data: { provider: 'openai', error_rate: 0.5, requests: 100, window_seconds: 60 } } as PlatformEvent;
      await ingestEvents({ db: d.db, channels: [], clock: systemClock, logger: pino({ level: 'silent' }) }, [{ event, via: 'http' }]);
      expect(await queryRows(d.db, sql`select id from events`)).toHaveLength(1);
    });
    afterAll(async () => d.dispose());

    it('the purge setting no longer unlocks DELETE: cutting the tail and appending a forged row is refused', async () => {
      const before = await rows();
      expect(await refusal(d.db.transaction(async (tx) => {
          await tx.execute(sql`select set_config('sre.audit_purge', txid_current()::text, true)`);
          await tx.execute(sql`delete from sre_actions where seq >= 10`);
          await appendAudit(tx, { kind: 'incident.opened', actor: { type: 'user', name: 'mallory', via: 'api' }, incidentId: 'inc_forged', payload: { key: 'k', type: 't', subject: 'forged' } });
        }))).toMatch(/append-only/);
      expect(await rows()).toEqual(before);
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true });
    });

    it('deleting from seq 8 on is refused, whatever the session sets', async () => {
      const before = await rows();
      for (const setting of ['sre.audit_purge', 'sre.events_purge']) {
        expect(await refusal(d.db.transaction(async (tx) => {
            await tx.execute(sql`select set_config(${setting}, txid_current()::text, true)`);
            await tx.execute(sql`delete from sre_actions where seq >= 8`);
          }))).toMatch(/append-only/);
      }
      expect(await rows()).toEqual(before);
    });

    it('the events purge setting no longer unlocks DELETE or UPDATE of stored events', async () => {
      const before = await queryRows(d.db, sql`select * from events order by id`);
      expect(await refusal(d.db.transaction(async (tx) => {
          await tx.execute(sql`select set_config('sre.events_purge', txid_current()::text, true)`);
          await tx.execute(sql`delete from events`);
        }))).toMatch(/append-only/);
      expect(await refusal(d.db.execute(sql`update events set data = '{"x":1}'::jsonb`))).toMatch(/append-only/);
      expect(await queryRows(d.db, sql`select * from events order by id`)).toEqual(before);
    });

    it('the chain tail comes from the table, never from a caller-set sre.chain_tail', async () => {
      const before = await rows();
      const top = before.at(-1)!;
      await d.db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('sre.chain_tail', ${`${top.seq + 40}:${'f'.repeat(64)}`}, true)`);
        await appendAudit(tx, opened(100));
      });
      const after = await rows();
      expect(after.at(-1)).toMatchObject({ seq: top.seq + 1, prev_hash: top.hash });
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true });
    });

    it('nobody appends a purge anchor or records a cutoff outside the retention function', async () => {
      expect(await refusal(d.db.execute(sql`insert into sre_actions (source, kind, actor_type, actor, payload) values ('sre-agent', 'audit.purged', 'system', 'mallory', '{}'::jsonb)`))).toMatch(/sre_retention_purge only/);
      // A cutoff younger than the tier's minimum is refused even when inserted directly (and the owner's session is the only one that may).
      expect(await refusal(d.db.execute(sql`insert into sre_audit_cutoffs (tier, cutoff, purged_by) values ('business', now(), 'mallory')`))).toMatch(/minimum retention/);
      expect(await refusal(d.db.execute(sql`insert into sre_audit_cutoffs (tier, cutoff, purged_by) values ('none', now() - interval '100 years', 'mallory')`))).toMatch(/unknown licence tier/);
      // The cutoff table itself is append-only.
      expect(await refusal(d.db.execute(sql`truncate sre_audit_cutoffs`))).toMatch(/append-only/);
    });

    it('retention refuses a cutoff younger than the tier’s minimum, changing nothing', async () => {
      const before = await rows();
      expect(await refusal(purgeAudit(d.db, 'enterprise', 'mallory', new Date()))).toMatch(/younger than the enterprise tier's minimum retention \(2555 days\)/);
      expect(await refusal(purgeAudit(d.db, 'business', 'mallory', new Date(Date.now() - 364 * 86_400_000)))).toMatch(/minimum retention/);
      expect(await rows()).toEqual(before);
      expect(await queryRows(d.db, sql`select * from sre_audit_cutoffs`)).toEqual([]);
    });

    it('a purge at the minimum removes nothing young and records its cutoff', async () => {
      const r = await purgeAudit(d.db, 'business', 'system:retention');
      expect(r.purged).toBe(0);
      const [c] = await queryRows<{ tier: string; purged_by: string; audit_purged: number; days: number }>(
        d.db,
        sql`select tier, purged_by, audit_purged::int as audit_purged, round(extract(epoch from (at - cutoff)) / 86400)::int as days from sre_audit_cutoffs`,
      );
      expect(c).toEqual({ tier: 'business', purged_by: 'system:retention', audit_purged: 0, days: 365 });
      expect(await verifyAudit(d.db, { tier: 'business' })).toMatchObject({ ok: true });
      // A purge under a shorter tier than the configured one (anyone allowed to call the function could pass 'trial') is named.
      await purgeAudit(d.db, 'trial', 'mallory');
      const early = await verifyAudit(d.db, { tier: 'business' });
      expect(early).toMatchObject({ ok: false, brokenSeq: null });
      expect(early.problem).toMatch(/retention cutoff \d+ .* under the trial tier, shorter than the business tier's retention/);
      // The record stays: the cutoff table is append-only too.
      expect(await refusal(d.db.execute(sql`delete from sre_audit_cutoffs`))).toMatch(/append-only/);
      expect(await refusal(d.db.execute(sql`update sre_audit_cutoffs set cutoff = now()`))).toMatch(/append-only/);
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true });
    });
  });
}
