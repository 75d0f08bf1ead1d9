import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import { auditCheckpointJob, fileSink, readCheckpoints, verifyingKey, type Checkpoint } from '../../src/audit/checkpoint.js';
import { purgeAudit } from '../../src/audit/purge.js';
import { verifyAudit, verifyCheckpoints } from '../../src/audit/verify.js';
import { main } from '../../src/cli.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { queryRows, type Executor } from '../../src/db/client.js';
import { buildCatalog } from '../../src/main.js';
import { get, startAgent } from '../support/agent.js';
import { createTestClock } from '../support/clock.js';
import { freshPglite, freshPostgres, type TestDatabase } from '../support/db.js';
import { backdate } from './support/backdate.js';

/**
 * Issue 18, item 6: signed checkpoints outside the database. With triggers off (the owner or a
 * superuser can always do that), the attacks of the issue leave a chain that verifies on its own;
 * the checkpoints name them.
 */
const system = { type: 'system', name: 'ingest' } as const;
const opened = (i: number) => ({ kind: 'incident.opened' as const, actor: system, incidentId: `inc_${i}`, payload: { key: `k${i}`, type: 't', subject: 's' } });
const logger = pino({ level: 'silent' });
const dir = mkdtempSync(path.join(tmpdir(), 'sre-checkpoints-'));
const { privateKey } = generateKeyPairSync('ed25519');
const KEY_FILE = path.join(dir, 'signing.pem');
writeFileSync(KEY_FILE, privateKey.export({ type: 'pkcs8', format: 'pem' }));

async function append(db: Executor, from: number, n: number) {
  await db.transaction(async (tx) => appendAudit(tx, ...Array.from({ length: n }, (_, i) => opened(from + i))));
}

/** What someone with the triggers off does: rows removed, and a forged tail chained on so the table verifies by itself. */
async function tamper(db: Executor, fromSeq: number, forged: number) {
  await db.execute(
    sql.raw(`DO $$
DECLARE r sre_actions; prev text; i int;
BEGIN
  PERFORM set_config('session_replication_role', 'replica', true);
  DELETE FROM sre_actions WHERE seq >= ${fromSeq};
  FOR i IN 1..${forged} LOOP
    SELECT hash INTO prev FROM sre_actions ORDER BY seq DESC LIMIT 1;
    r := ROW(${fromSeq} - 1 + i, clock_timestamp(), 'sre-agent', 'incident.opened', 'user', 'mallory', 'inc_forged', NULL, '{"key":"k","type":"t","subject":"forged"}'::jsonb, coalesce(prev, ''), '')::sre_actions;
    r.hash := sre_actions_hash(r.prev_hash, r);
    INSERT INTO sre_actions SELECT r.*;
  END LOOP;
END
$$`),
  );
}

for (const [label, make] of [['postgres', freshPostgres], ['pglite', freshPglite]] as const) {
  describe(`signed audit checkpoints on ${label}`, () => {
    let d: TestDatabase;
    let file: string;
    const pub: KeyObject = verifyingKey(privateKey);
    const clock = createTestClock({ start: Date.UTC(2026, 11, 1) });
    const checkpoint = () => auditCheckpointJob({ key: privateKey, sink: fileSink(file) })({ db: d.db, clock, logger });
    const check = async () => verifyCheckpoints(d.db, pub, await readCheckpoints(file));

    beforeAll(async () => {
      d = await make();
    });
    afterAll(async () => d.dispose());

    it('writes {seq, head_hash, rows, at, signature} lines that verify against an intact trail', async () => {
      file = path.join(dir, `${label}-intact.jsonl`);
      await append(d.db, 0, 10);
      await checkpoint();
      await append(d.db, 10, 5);
      clock.advance(300_000);
      await checkpoint();
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Checkpoint);
      expect(lines.map((c) => [c.seq, c.rows, c.at])).toEqual([
        [10, 10, '2026-12-01T00:00:00.000Z'],
        [15, 15, '2026-12-01T00:05:00.000Z'],
      ]);
      expect(lines[1]!.head_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(await check()).toMatchObject({ ok: true, checked: 2, purged: 0 });
    });

    it('a checkpoint altered or signed with another key is named', async () => {
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      const bad = path.join(dir, `${label}-altered.jsonl`);
      writeFileSync(bad, `${lines[0]}\n${lines[1]!.replace('"rows":15', '"rows":14')}\n`);
      const r = await verifyCheckpoints(d.db, pub, await readCheckpoints(bad));
      expect(r).toMatchObject({ ok: false, failed: { line: 2, seq: 15 } });
      expect(r.problem).toMatch(/signature does not match/);
      expect((await verifyCheckpoints(d.db, verifyingKey(generateKeyPairSync('ed25519').privateKey), await readCheckpoints(file))).problem).toMatch(/line 1 .*signature/);
    });

    it('deleting the last rows and appending a forged one verifies in the table, and fails against the checkpoint, naming it', async () => {
      await tamper(d.db, 13, 3);
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true });
      const r = await check();
      expect(r).toMatchObject({ ok: false, checked: 1, failed: { line: 2, seq: 15, at: '2026-12-01T00:05:00.000Z' } });
      expect(r.problem).toMatch(/checkpoint at line 2 \(seq 15, 2026-12-01T00:05:00.000Z\): row 15 no longer has the signed hash/);
    });

    it('deleting from seq 8 on fails against the first checkpoint after it', async () => {
      await tamper(d.db, 8, 0);
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true, checked: 7 });
      const r = await check();
      expect(r).toMatchObject({ ok: false, checked: 0, failed: { line: 1, seq: 10 } });
      expect(r.problem).toMatch(/row 10 is gone and no retention cutoff purged it/);
    });

    it('rows a recorded retention cutoff purged are not a break', async () => {
      file = path.join(dir, `${label}-purged.jsonl`);
      await append(d.db, 100, 5);
      await checkpoint();
      await backdate(d.db, new Date(Date.now() + 60_000).toISOString(), 400);
      await append(d.db, 200, 2);
      await checkpoint();
      const p = await purgeAudit(d.db, 'business', 'system:retention');
      expect(p.purged).toBeGreaterThan(5);
      expect(await verifyAudit(d.db)).toMatchObject({ ok: true });
      // The first checkpoint's head went with the purge; the second's (younger than the cutoff) is still compared.
      expect(await check()).toMatchObject({ ok: true, checked: 1, purged: 1 });
    });

    it('a stored event without its receipt row is named', async () => {
      await d.db.execute(
        sql.raw(`DO $$ BEGIN
          PERFORM set_config('session_replication_role', 'replica', true);
          INSERT INTO events (id, type, occurred_at, received_at, source, via, data, incident_id) VALUES ('evt_no_receipt', 'provider.unhealthy', now(), now(), 'admin-api', 'http', '{}'::jsonb, 'inc_0');
        END $$`),
      );
      const r = await verifyAudit(d.db);
      expect(r).toMatchObject({ ok: false, brokenSeq: null });
      expect(r.problem).toMatch(/1 stored event\(s\) have no events.received row .*evt_no_receipt/);
    });
  });
}

describe('checkpoints in the agent and on the command line', () => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await freshPostgres();
  });
  afterAll(async () => d.dispose());

  it('the recurring leased job writes a checkpoint each period and exports its success time', async () => {
    const file = path.join(dir, 'agent.jsonl');
    const env = { SRE_AUDIT_SIGNING_KEY: KEY_FILE, SRE_AUDIT_CHECKPOINTS: file, SRE_AUDIT_CHECKPOINT_INTERVAL: '2m' };
    await append(d.db, 0, 3);
    const a = await startAgent(d, env);
    try {
      await a.agent.tick();
      const [cp] = await readCheckpoints(file);
      expect(cp!.checkpoint!.seq).toBeGreaterThanOrEqual(3);
      const metrics = await (await fetch(`${a.base}/metrics`)).text();
      expect(metrics).toMatch(/^sre_audit_checkpoint_last_success_timestamp_seconds \d+/m);
      const due = await queryRows<{ kind: string; wait: number }>(
        d.db,
        sql`select kind, round(extract(epoch from run_at - now()))::int as wait from timers where key = 'audit_checkpoint'`,
      );
      expect(due).toHaveLength(1);
      expect(buildCatalog(loadConfig({ ...env, NODE_ENV: 'test' }), 0).entry('audit_checkpoint')!.everyMs).toBe(120_000);
      expect((await get(a.base, '/healthz')).status).toBe(200);
    } finally {
      await a.stop();
    }
  });

  it('sre-agent audit verify --checkpoints FILE: exit 1 naming the checkpoint after a cut', async () => {
    const file = path.join(dir, 'agent.jsonl');
    const run = async (args: string[], env: Record<string, string> = {}) => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let o = '';
      let e = '';
      stdout.on('data', (c) => (o += c));
      stderr.on('data', (c) => (e += c));
      const code = await main(args, { stdout, stderr, tty: false, env: { NODE_ENV: 'test', DATABASE_URL: d.url, SRE_AUDIT_SIGNING_KEY: KEY_FILE, ...env } });
      return { code, out: o, err: e };
    };
    const ok = await run(['audit', 'verify', '--checkpoints', file]);
    expect(ok, JSON.stringify(ok)).toMatchObject({ code: 0, out: expect.stringMatching(/checkpoints hold: 1 signed checkpoint/) });
    const seq = (await readCheckpoints(file))[0]!.checkpoint!.seq;
    await tamper(d.db, seq - 1, 0);
    const r = await run(['audit', 'verify', '--checkpoints', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`BROKEN against .*agent\\.jsonl: checkpoint at line 1 \\(seq ${seq}, .*\\): row ${seq} is gone`));
  });

  it('a malformed signing key stops the start with its path named and its content never printed', async () => {
    const bad = path.join(dir, 'bad.pem');
    writeFileSync(bad, '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3QtcHJpbnQ=\n-----END PRIVATE KEY-----\n');
    const rsa = path.join(dir, 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    for (const f of [bad, rsa, path.join(dir, 'missing.pem')]) {
      let thrown: unknown;
      try {
        loadConfig({ NODE_ENV: 'test', SRE_AUDIT_SIGNING_KEY: f, SRE_AUDIT_CHECKPOINTS: path.join(dir, 'x.jsonl') });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      const message = (thrown as Error).message;
      expect(message).toContain(`SRE_AUDIT_SIGNING_KEY: ${f.endsWith('missing.pem') ? `cannot read ${f}` : `${f} is not a PEM (PKCS#8) Ed25519 private key`}`);
      expect(message).not.toMatch(/c2VjcmV0|BEGIN|MII/);
    }
    const stderr = new PassThrough();
    let e = '';
    stderr.on('data', (c) => (e += c));
    const code = await main(['serve'], { stdout: new PassThrough(), stderr, tty: false, env: { NODE_ENV: 'test', DATABASE_URL: d.url, PORT: '0', SRE_AUDIT_SIGNING_KEY: bad } });
    expect(code).toBe(1);
    expect(e).toContain(`${bad} is not a PEM (PKCS#8) Ed25519 private key`);
    expect(e).not.toContain('c2VjcmV0');
    expect(() => loadConfig({ NODE_ENV: 'test', SRE_AUDIT_CHECKPOINTS: path.join(dir, 'x.jsonl') })).toThrow(/SRE_AUDIT_CHECKPOINTS: needs SRE_AUDIT_SIGNING_KEY/);
  });
});
