import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { queryRows, schema } from '../../src/db/client.js';
import { execute } from '../../src/proposals/execute.js';
import { readSwitch } from '../../src/proposals/kill-switch.js';
import { pause } from '../../src/proposals/pause.js';
import { deferred } from '../support/barrier.js';
import { ALICE, BOB, INGEST_TOKEN, get, post, startAgent, unhealthy, type RunningAgent, gatewayAgreeing } from '../support/agent.js';
import { freshPglite, queuedOnALock, type TestDatabase } from '../support/db.js';
import { agentTest as test } from '../support/fixtures.js';
import { sample } from '../ship/support.js';

const audit = async (db: TestDatabase, kind: string) => queryRows<{ actor: string; payload: Record<string, unknown> }>(db.db, sql`select actor, payload from sre_actions where kind = ${kind} order by seq`);
const writes = (x: RunningAgent) => (x.agent.deps.gateway as unknown as { calls(): unknown[] }).calls();

async function pending(x: RunningAgent, provider = 'openai', extra: Record<string, unknown> = {}) {
  await post(x.base, '/v1/events', unhealthy(provider, { error_rate: 0.7, requests: 60, window_seconds: 60, ...extra }), INGEST_TOKEN);
  await x.agent.tick();
  return (await get(x.base, '/v1/proposals', ALICE)).body.proposals.find((p: { incident: { latest: { provider: string } } }) => p.incident.latest.provider === provider);
}

describe('the kill switch over the JSON API', () => {
  test('refuses a pause without a reason or without an operator token, and changes nothing', async ({ startAgent, db }) => {
    const a = await startAgent();
    expect((await post(a.base, '/v1/pause', { reason: 'x' })).status).toBe(401);
    expect((await post(a.base, '/v1/pause', {}, ALICE)).body).toMatchObject({ code: 'invalid', error: expect.stringMatching(/a pause needs a reason/) });
    expect((await post(a.base, '/v1/pause', { reason: '   ' }, ALICE)).status).toBe(400);
    expect((await post(a.base, '/v1/pause', { reason: 42 }, ALICE)).status).toBe(400);
    expect((await get(a.base, '/v1/status')).status).toBe(401);
    expect((await get(a.base, '/v1/status', ALICE)).body).toEqual({ mode: 'live', paused: false, paused_by: null, paused_reason: null, paused_at: null });
    expect(await audit(db, 'agent.paused')).toEqual([]);
    expect((await post(a.base, '/v1/resume', { reason: 'check' }, ALICE)).body).toMatchObject({ code: 'conflict', error: 'The agent is not paused.' });
  });

  test('while paused nothing executes: an approval is 423, auto-approval is off, revert is refused; proposals still show who paused and why', async ({ startAgent, db }) => {
    const a = await startAgent({ SRE_AUTO_APPROVE: 'true', SRE_RISK_THRESHOLD: '60' }, { gateway: gatewayAgreeing(['bedrock', 'openai']) });
    // Auto-executed before the pause, and reversible: the playbook circuit-breaks a provider whose
    // model groups all have another healthy provider when the event names no group (mistral's only
    // group has none, so it pages on-call, and a page cannot be undone, paused or not).
    const done = await pending(a, 'bedrock', { model_group: undefined });
    expect(done).toMatchObject({ status: 'succeeded', action: 'circuit_break_provider' });
    const paused = await post(a.base, '/v1/pause', { reason: 'provider maintenance window' }, ALICE);
    expect(paused.body).toMatchObject({ mode: 'live', paused: true, paused_by: 'alice', paused_reason: 'provider maintenance window', paused_at: expect.any(String) });
    expect((await post(a.base, '/v1/pause', { reason: 'again' }, BOB)).body).toMatchObject({ code: 'conflict', error: expect.stringMatching(/already paused by alice/) });

    const p = await pending(a, 'openai');
    expect(p).toMatchObject({ status: 'pending', route: 'gate', agent_paused: { by: 'alice', reason: 'provider maintenance window' } });
    expect(p.risk_factors).toContainEqual({ name: 'kill_switch', delta: 0, reason: expect.stringMatching(/paused by alice \("provider maintenance window"\)/) });
    const r = await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, BOB);
    expect(r.status).toBe(423);
    expect(r.body).toMatchObject({ code: 'paused', paused_by: 'alice', paused_reason: 'provider maintenance window' });
    expect((await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body.status).toBe('pending');
    expect((await post(a.base, `/v1/proposals/${done.id}/revert`, {}, BOB)).status).toBe(423);
    expect(writes(a)).toHaveLength(1);
    expect((await audit(db, 'decision.refused'))[0]).toMatchObject({ actor: 'bob', payload: { code: 'paused' } });
    // A rejection is still a decision a person may make.
    expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'reject' }, BOB)).body.status).toBe('rejected');

    const metrics = await (await fetch(`${a.base}/metrics`)).text();
    expect(sample(metrics, 'sre_agent_paused', {})).toBe(1);
  });

  test('a pause outlives a restart; resume lets the waiting approval through, and every change is audited', async ({ startAgent, db }) => {
    let a = await startAgent();
    const p = await pending(a);
    await post(a.base, '/v1/pause', { reason: 'incident review' }, ALICE);
    await a.stop();
    a = await startAgent();
    expect((await get(a.base, '/v1/status', BOB)).body).toMatchObject({ paused: true, paused_by: 'alice', paused_reason: 'incident review' });
    expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, BOB)).status).toBe(423);
    expect((await post(a.base, '/v1/resume', { reason: 'review done' }, BOB)).body).toMatchObject({ paused: false, paused_by: null });
    expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, BOB)).body.status).toBe('succeeded');
    expect((await audit(db, 'agent.paused')).map((r) => r.actor)).toEqual(['alice']);
    expect((await audit(db, 'agent.resumed'))[0]).toMatchObject({ actor: 'bob', payload: { paused_by: 'alice', paused_reason: 'incident review' } });
    expect(sample(await (await fetch(`${a.base}/metrics`)).text(), 'sre_agent_paused', {})).toBe(0);
  });

  test('all replicas obey at once: paused through one, an approval through the other is refused', async ({ startAgent }) => {
    const a = await startAgent();
    const other = await startAgent();
    try {
      const p = await pending(a);
      await post(a.base, '/v1/pause', { reason: 'one switch for all' }, ALICE);
      expect((await post(other.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, BOB)).status).toBe(423);
      expect((await get(other.base, '/v1/status', BOB)).body).toMatchObject({ paused: true, paused_reason: 'one switch for all' });
      expect(writes(other)).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  test('a pause that lands between an approval and its claim: the gate refuses, the proposal waits again, nothing executes', async ({ db, startAgent }) => {
    const a = await startAgent();
    const p = await pending(a);
    await db.db.update(schema.proposals).set({ status: 'approved', decidedBy: 'bob', decidedVia: 'api', decidedAt: new Date() }).where(eq(schema.proposals.id, p.id));
    await post(a.base, '/v1/pause', { reason: 'stop' }, ALICE);
    await expect(execute(a.agent.deps, { proposalId: p.id })).rejects.toMatchObject({ code: 'paused' });
    expect((await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body).toMatchObject({ status: 'pending', decided_by: null });
    expect(writes(a)).toEqual([]);
  });

  // Found by the property test (seed -430753054): an approval and the first pause of a fresh
  // database at once. With no switch row yet, the claim's FOR SHARE and the pause's FOR UPDATE
  // locked nothing, so they passed each other and the claim executed after the pause committed.
  test('the first pause ever waits for a claim in flight: with no switch row yet, the claim\'s locking read still locks one', async ({ db, startAgent }) => {
    const a = await startAgent();
    expect(await queryRows(db.db, sql`select id from agent_switch`)).toEqual([]);
    const held = deferred();
    const read = deferred<boolean>();
    const claim = db.db.transaction(async (tx) => {
      read.resolve((await readSwitch(tx, 'share')).paused);
      await held.promise;
    });
    expect(await read.promise).toBe(false);
    let done = false;
    const pausing = pause(a.agent.deps, { reason: 'first pause', actor: { type: 'user', name: 'alice', via: 'api' } }).then(() => (done = true));
    try {
      await Promise.race([pausing.then(() => Promise.reject(new Error('the pause committed while a claim held the switch'))), queuedOnALock(db, 'the pause to wait for the claim')]);
      expect(done).toBe(false);
    } finally {
      held.resolve();
      await claim;
    }
    await pausing;
    expect((await readSwitch(db.db)).paused).toBe(true);
  });

  test('the first pause ever, in flight, holds a claim back until it commits, and the claim then sees it paused', async ({ db }) => {
    expect(await queryRows(db.db, sql`select id from agent_switch`)).toEqual([]);
    const held = deferred();
    const locked = deferred();
    // The pause's own steps (pause.ts), held open before its commit.
    const pausing = db.db.transaction(async (tx) => {
      await readSwitch(tx, 'update');
      const row = { paused: true, pausedBy: 'alice', pausedReason: 'first pause', pausedAt: new Date(), updatedAt: new Date() };
      await tx.insert(schema.agentSwitch).values({ id: 'agent', ...row }).onConflictDoUpdate({ target: schema.agentSwitch.id, set: row });
      locked.resolve();
      await held.promise;
    });
    await locked.promise;
    const claimRead = db.db.transaction(async (tx) => (await readSwitch(tx, 'share')).paused);
    try {
      await Promise.race([claimRead.then((p) => Promise.reject(new Error(`the claim read the switch (paused: ${p}) past a pause in flight`))), queuedOnALock(db, 'the claim to wait for the pause')]);
    } finally {
      held.resolve();
      await pausing;
    }
    expect(await claimRead).toBe(true);
  });
});

describe('the kill switch from the command line', () => {
  test('pause --as NAME --reason TEXT, status and resume --as NAME; bad flags change nothing', async ({ db }) => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const before = process.env.DATABASE_URL;
    process.env.DATABASE_URL = db.url;
    try {
      expect(await main(['pause', '--as', 'carol'])).toBe(2);
      expect(await main(['pause', '--reason', 'x'])).toBe(2);
      expect(await main(['status'])).toBe(0);
      expect(out.pop()).toMatch(/running \(not paused\)/);
      expect(await main(['pause', '--as', 'carol', '--reason', 'bad deploy'])).toBe(0);
      expect(out.pop()).toMatch(/PAUSED by carol since .*: bad deploy/);
      expect(await main(['pause', '--as', 'carol', '--reason', 'again'])).toBe(1);
      expect(await main(['resume', '--as', 'dave', '--reason', 'fixed'])).toBe(0);
      expect(out.pop()).toMatch(/running/);
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
      if (before === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = before;
    }
    expect((await audit(db, 'agent.paused')).map((r) => [r.actor, r.payload.channel])).toEqual([['carol', 'cli']]);
    expect((await audit(db, 'agent.resumed')).map((r) => r.actor)).toEqual(['dave']);
  });
});

describe('the kill switch on the embedded default (PGlite)', () => {
  let lite: TestDatabase;
  let x: RunningAgent;
  // Migrating an embedded database takes a while on a busy machine: outside the test's own budget.
  beforeAll(async () => {
    lite = await freshPglite();
    x = await startAgent(lite);
  }, 120_000);
  afterAll(async () => {
    await x.stop();
    await lite.dispose();
  });

  test('pauses, refuses an approval with 423, and resumes', async () => {
    const p = await pending(x);
    await post(x.base, '/v1/pause', { reason: 'on PGlite' }, ALICE);
    expect((await post(x.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, BOB)).status).toBe(423);
    await post(x.base, '/v1/resume', { reason: 'done' }, ALICE);
    expect((await post(x.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, BOB)).body).toMatchObject({ status: 'succeeded', verification: { status: 'pending' } });
  }, 60_000);

  test('the re-check refuses a proposal whose incident closed: 409 stale', async () => {
    const p = await pending(x, 'mistral');
    await lite.db.update(schema.incidents).set({ status: 'closed', closedAt: new Date() }).where(eq(schema.incidents.id, p.incident_id));
    const r = await post(x.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, BOB);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'stale', stale_reason: expect.stringMatching(/the incident closed at/) });
  }, 60_000);
});
