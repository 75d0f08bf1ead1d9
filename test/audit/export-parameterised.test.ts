import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import { exportAuditCsv, type AuditFilter } from '../../src/audit/export.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

/**
 * Issue 18, item 9: the COPY export's filter values are bind parameters, never quoted into the
 * statement. A hostile value matches exactly the rows that hold it, on the COPY path as on the paged one.
 */
const HOSTILE = ["o'brien\\", "x' or '1'='1", "sre-agent'); select pg_sleep(5); --", 'back\\slash\\', '$$ or true $$'];

describe('the COPY export with hostile filter values', () => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await freshPostgres();
    // A first row of its own: its empty prev_hash is written "" by COPY and empty by the paged path.
    await d.db.transaction(async (tx) => appendAudit(tx, { kind: 'thread.message', actor: { type: 'user', name: 'first', via: 'api' }, payload: { text: 'first' } }));
    await d.db.transaction(async (tx) =>
      appendAudit(
        tx,
        ...[...HOSTILE, 'alice', 'sre-agent'].map((name, i) => ({ kind: 'thread.message' as const, actor: { type: 'user' as const, name, via: 'api' as const }, incidentId: `inc_${i}`, payload: { text: `row ${i}` } })),
      ),
    );
  });
  afterAll(async () => d?.dispose());

  const read = async (filter: AuditFilter, copy: boolean) => {
    let out = '';
    for await (const c of exportAuditCsv(d.db, filter, copy ? { copyClient: d.openCopyClient } : { pageSize: 3 })) out += c.toString();
    return out.trim().split('\n');
  };

  it('matches exactly the row holding the value, and the same CSV as the paged path', async () => {
    for (const [i, name] of HOSTILE.entries()) {
      const copied = await read({ actor: name, source: 'sre-agent' }, true);
      expect(copied, name).toHaveLength(2);
      expect(copied[1]).toContain(`inc_${i}`);
      expect(copied).toEqual(await read({ actor: name, source: 'sre-agent' }, false));
    }
  });

  it('a value that would match when quoted carelessly matches nothing', async () => {
    for (const filter of [{ source: "sre-agent' or '1'='1" }, { actor: "alice' or actor <> '" }, { kind: 'thread.message\\' }] as AuditFilter[]) {
      expect(await read(filter, true), JSON.stringify(filter)).toHaveLength(1);
    }
  });

  it('a NUL in a value matches nothing on either path (the old quoting dropped it and matched "sre-agent")', async () => {
    for (const copy of [true, false]) {
      const lines = await read({ source: 'sre-\0agent' }, copy);
      expect(lines).toEqual(['seq,occurred_at,source,kind,actor_type,actor,incident_id,proposal_id,payload,prev_hash,hash']);
    }
  });
});
