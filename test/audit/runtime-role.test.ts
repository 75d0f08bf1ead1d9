import { generateKeyPairSync } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import { auditCheckpointJob, readHead, verifyingKey, type Checkpoint } from '../../src/audit/checkpoint.js';
import { runRetention } from '../../src/audit/retention.js';
import { verifyAudit, verifyCheckpoints } from '../../src/audit/verify.js';
import { connectPostgres, queryRows, type Database } from '../../src/db/client.js';
import { ALICE, INGEST_TOKEN, get, post, startAgent, unhealthy } from '../support/agent.js';
import { createTestClock } from '../support/clock.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { TEST_DATABASE_URL } from '../support/env.js';
import { backdate } from './support/backdate.js';
import { refusal } from './support/refusal.js';

/**
 * Issue 18, item 6: the agent runs as a role without UPDATE, DELETE or TRUNCATE on the trail,
 * under exactly the grants docs/deploy.md shows (read from it), over trust authentication.
 */
const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
const grants = /<!-- runtime-role-grants -->\n```sql\n([\s\S]*?)```/.exec(doc)![1]!;

describe('the agent as the runtime role of docs/deploy.md', () => {
  const role = `sre_rt_${randomBytes(4).toString('hex')}`;
  let d: TestDatabase;
  let rt: Database;
  beforeAll(async () => {
    d = await freshPostgres();
    const admin = postgres(d.url, { max: 1, onnotice: () => {} });
    try {
      // The doc's statements, for this run's role name; the password is irrelevant under trust auth.
      await admin.unsafe(grants.replaceAll('sre_agent ', `${role} `).replaceAll('sre_agent;', `${role};`).replace("PASSWORD '…'", ''));
    } finally {
      await admin.end();
    }
    const u = new URL(d.url);
    u.username = role;
    rt = connectPostgres(u.toString());
  });
  afterAll(async () => {
    await rt?.close();
    await d?.dispose();
    const a = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    await a.unsafe(`drop role if exists ${role}`);
    await a.end();
  });

  it('is who the connection runs as, and not the owner', async () => {
    const [r] = await queryRows<{ who: string; owner: string }>(rt.db, sql`select current_user as who, (select tableowner from pg_tables where tablename = 'sre_actions') as owner`);
    expect(r).toEqual({ who: role, owner: 'postgres' });
  });

  it('appends, but UPDATE, DELETE and TRUNCATE of the trail, the events and the cutoffs are refused by privilege', async () => {
    await rt.db.transaction(async (tx) => appendAudit(tx, { kind: 'incident.opened', actor: { type: 'system', name: 'ingest' }, incidentId: 'inc_rt', payload: { key: 'k', type: 't', subject: 's' } }));
    for (const statement of [
      sql`update sre_actions set actor = 'mallory'`,
      sql`delete from sre_actions`,
      sql`truncate sre_actions`,
      sql`update events set data = '{}'::jsonb`,
      sql`delete from events`,
      sql`truncate events`,
      sql`insert into sre_audit_cutoffs (tier, cutoff, purged_by) values ('trial', now() - interval '10 years', 'mallory')`,
      sql`delete from sre_audit_cutoffs`,
    ]) {
      expect(await refusal(rt.db.execute(statement))).toMatch(/permission denied/);
    }
    expect(
      await refusal(
        rt.db.transaction(async (tx) => {
          await tx.execute(sql`select set_config('sre.audit_purge', txid_current()::text, true)`);
          await tx.execute(sql`delete from sre_actions`);
        }),
      ),
    ).toMatch(/permission denied/);
  });

  it('may run serve’s start-up migration once the owner migrated (nothing to apply)', async () => {
    await rt.migrate();
    expect(await rt.ready()).toMatchObject({ ok: true });
  });

  it('runs the whole agent: ingest, a proposal, a decision, a checkpoint, retention and verify', async () => {
    const a = await startAgent(Object.assign(Object.create(null), rt, { name: d.name, url: d.url, dispose: async () => undefined }) as TestDatabase, { SRE_MODE: 'shadow' });
    try {
      expect((await post(a.base, '/v1/events', unhealthy('openai', { requests: 60 }), INGEST_TOKEN)).status).toBe(202);
      await a.agent.tick();
      const [pending] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
      expect(pending).toBeDefined();
      expect((await post(a.base, `/v1/proposals/${pending.id}/decision`, { decision: 'reject', reason: 'role test' }, ALICE)).status).toBe(200);
      await a.agent.tick();
    } finally {
      await a.stop();
    }
    // Rows old enough to purge (as the owner: tests only), then retention and verify as the runtime role.
    await backdate(d.db, new Date(Date.now() + 60_000).toISOString(), 400);
    await rt.db.transaction(async (tx) => appendAudit(tx, { kind: 'incident.opened', actor: { type: 'system', name: 'ingest' }, incidentId: 'inc_young', payload: { key: 'k', type: 't', subject: 's' } }));
    const r = await runRetention(rt.db, 'business', 'system:retention');
    expect(r.auditPurged).toBeGreaterThan(3);
    expect(r.eventsPurged).toBe(1);
    expect(await verifyAudit(rt.db)).toMatchObject({ ok: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    const written: Checkpoint[] = [];
    await auditCheckpointJob({ key: privateKey, sink: async (cp) => void written.push(cp) })({ db: rt.db, clock: createTestClock(), logger: pino({ level: 'silent' }) });
    expect(written[0]).toMatchObject(await readHead(rt.db));
    expect(await verifyCheckpoints(rt.db, verifyingKey(privateKey), [{ line: 1, checkpoint: written[0] }])).toMatchObject({ ok: true, checked: 1 });
  });
});
