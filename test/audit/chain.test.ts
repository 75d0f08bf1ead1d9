import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import { exportAuditCsv } from '../../src/audit/export.js';
import { purgeAudit } from '../../src/audit/purge.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { queryRows } from '../../src/db/client.js';
import { backdate } from './support/backdate.js';
import { freshPglite, freshPostgres, type TestDatabase } from '../support/db.js';

const system = { type: 'system', name: 'ingest' } as const;
const opened = (i: number) => ({ kind: 'incident.opened' as const, actor: system, incidentId: `inc_${i}`, payload: { key: `k${i}`, type: 't', subject: 's' } });

for (const [label, make] of [['postgres', freshPostgres], ['pglite', freshPglite]] as const) {
  describe(`audit trail on ${label}`, () => {
    let d: TestDatabase;
    beforeAll(async () => {
      d = await make();
    });
    afterAll(async () => d.dispose());

    it('keeps the chain linear under concurrent appends', async () => {
      await Promise.all(
        Array.from({ length: 8 }, (_, w) => d.db.transaction(async (tx) => appendAudit(tx, ...Array.from({ length: 25 }, (_, i) => opened(w * 100 + i))))),
      );
      const rows = await queryRows<{ seq: string; prev_hash: string; hash: string }>(d.db, sql`select seq, prev_hash, hash from sre_actions order by seq`);
      expect(rows).toHaveLength(200);
      rows.forEach((r, i) => {
        expect(Number(r.seq)).toBe(i + 1);
        expect(r.prev_hash).toBe(i === 0 ? '' : rows[i - 1]!.hash);
      });
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true, checked: 200, brokenSeq: null });
    });

    it('refuses UPDATE, DELETE and TRUNCATE and leaves rows unchanged', async () => {
      const before = await queryRows(d.db, sql`select * from sre_actions order by seq`);
      await expect(d.db.execute(sql`update sre_actions set actor = 'mallory' where seq = 3`)).rejects.toThrow();
      await expect(d.db.execute(sql`delete from sre_actions where seq = 3`)).rejects.toThrow();
      await expect(d.db.execute(sql`truncate sre_actions`)).rejects.toThrow();
      expect(await queryRows(d.db, sql`select * from sre_actions order by seq`)).toEqual(before);
    });

    it('a rolled-back step leaves no audit row behind', async () => {
      const [{ n: before }] = (await queryRows<{ n: number }>(d.db, sql`select count(*)::int as n from sre_actions`)) as [{ n: number }];
      await expect(
        d.db.transaction(async (tx) => {
          await appendAudit(tx, opened(999));
          throw new Error('the step failed');
        }),
      ).rejects.toThrow('the step failed');
      const [{ n: after }] = (await queryRows<{ n: number }>(d.db, sql`select count(*)::int as n from sre_actions`)) as [{ n: number }];
      expect(after).toBe(before);
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true });
    });

    it('rejects a payload that does not fit its kind, writing nothing', async () => {
      await expect(
        d.db.transaction(async (tx) => appendAudit(tx, { kind: 'incident.opened', actor: system, payload: { key: 1 } })),
      ).rejects.toThrow(/incident.opened/);
    });

    it('streams CSV with formula cells neutralised', async () => {
      await d.db.transaction(async (tx) =>
        appendAudit(tx, { kind: 'thread.message', actor: { type: 'user', name: '=HYPERLINK("http://evil")', via: 'api' }, payload: { text: '+1, "quoted"' } }),
      );
      let csv = '';
      for await (const chunk of exportAuditCsv(d.db, { source: 'sre-agent' }, { pageSize: 50, copyClient: d.openCopyClient })) csv += chunk.toString();
      const lines = csv.trim().split(/\r?\n/);
      expect(lines[0]).toBe('seq,occurred_at,source,kind,actor_type,actor,incident_id,proposal_id,payload,prev_hash,hash');
      expect(lines).toHaveLength(202);
      const last = lines.at(-1)!;
      expect(last).toContain(`"'=HYPERLINK(""http://evil"")"`);
      expect(last).not.toMatch(/,=HYPERLINK/);
    });

    it.runIf(label === 'postgres')('writes the same CSV through COPY as through the paged reader', async () => {
      const read = async (copy: boolean) => {
        let out = '';
        for await (const c of exportAuditCsv(d.db, { source: 'sre-agent', kind: 'thread.message' }, copy ? { copyClient: d.openCopyClient } : { pageSize: 7 })) out += c.toString();
        return out;
      };
      const [paged, copied] = [await read(false), await read(true)];
      expect(copied.split('\n').length).toBeGreaterThan(1);
      expect(copied).toBe(paged);
    });

    it('purges through the function, keeps younger rows and still verifies', async () => {
      const total = (await queryRows<{ n: number }>(d.db, sql`select count(*)::int as n from sre_actions`))[0]!.n;
      const cut = (await queryRows<{ t: string }>(d.db, sql`select to_char((occurred_at + interval '1 millisecond') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as t from sre_actions where seq = 100`))[0]!.t;
      // Retention is judged on the database's clock: the first 100 rows are made 400 days old.
      await backdate(d.db, cut, 400);
      const r = await purgeAudit(d.db, 'business', 'system:retention');
      const cutoff = r.cutoff;
      expect(r.purged).toBeGreaterThanOrEqual(99);
      const left = (await queryRows<{ n: number }>(d.db, sql`select count(*)::int as n from sre_actions`))[0]!.n;
      // Two rows appended: `events.purged` and the `audit.purged` anchor.
      expect(left).toBe(total - r.purged + 2);
      const oldest = (await queryRows<{ n: number }>(d.db, sql`select count(*)::int as n from sre_actions where occurred_at < ${cutoff.toISOString()}::timestamptz`))[0]!.n;
      expect(oldest).toBe(0);
      const anchor = (await queryRows<{ kind: string; payload: Record<string, unknown> }>(d.db, sql`select kind, payload from sre_actions where seq = ${r.anchorSeq}`))[0]!;
      expect(anchor.kind).toBe('audit.purged');
      expect(anchor.payload).toMatchObject({ purged_count: r.purged });
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true });
    });

    it('names the first row changed behind the application’s back', async () => {
      const target = (await queryRows<{ seq: string }>(d.db, sql`select seq from sre_actions order by seq offset 5 limit 1`))[0]!.seq;
      await d.db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        await tx.execute(sql`update sre_actions set actor = 'someone else' where seq = ${Number(target)}`);
      });
      expect(await verifyAudit(d.db)).toMatchObject({ ok: false, brokenSeq: Number(target) });
    });
  });
}
