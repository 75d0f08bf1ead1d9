import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { queryRows } from '../../src/db/client.js';
import { ALICE, BOB, get, post } from '../support/agent.js';
import { ADMIN, adminApiStandIn as adminApi, executedByTwo } from '../support/admin-api.js';
import type { TestDatabase } from '../support/db.js';
import { agentTest as it } from '../support/fixtures.js';

const CAROL = 'carol-token-0123456789abcd';
const ENV = { ADMIN_API_URL: ADMIN, ADMIN_API_TOKEN: 'admin-secret', SRE_TWO_PERSON_SCORE: '20', SRE_API_TOKENS: `alice:${ALICE},bob:${BOB},carol:${CAROL}` };


afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

const audit = (db: TestDatabase, kind: string) => queryRows<{ actor: string; payload: Record<string, unknown> }>(db.db, sql`select actor, payload from sre_actions where kind = ${kind} order by seq`);

describe('resume needs a reason and follows the approver rules', () => {
  it('over the API: no reason is 400 and still paused; with one it resumes, the reason audited', async ({ db, startAgent }) => {
    const a = await startAgent(ENV);
    expect((await post(a.base, '/v1/pause', { reason: 'incident review' }, ALICE)).status).toBe(200);
    for (const body of [undefined, {}, { reason: '  ' }, { reason: 7 }]) {
      const r = body === undefined ? await post(a.base, '/v1/resume', undefined, BOB, '') : await post(a.base, '/v1/resume', body, BOB);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(/reason/);
    }
    expect((await get(a.base, '/v1/status', BOB)).body).toMatchObject({ paused: true });
    expect(await audit(db, 'agent.resumed')).toEqual([]);
    expect((await post(a.base, '/v1/resume', { reason: 'review done, gateway healthy' }, BOB)).body).toMatchObject({ paused: false });
    expect(await audit(db, 'agent.resumed')).toMatchObject([{ actor: 'bob', payload: { reason: 'review done, gateway healthy', paused_by: 'alice' } }]);
  });

  it('with SRE_APPROVER_RULES, only a principal some rule names may resume (403, audited); pausing stays open', async ({ db, startAgent }) => {
    const a = await startAgent({ ...ENV, SRE_APPROVER_RULES: 'circuit_break_provider:carol;bump_budget_cap:dave' });
    expect((await post(a.base, '/v1/pause', { reason: 'anyone may stop it' }, ALICE)).status).toBe(200);
    const refused = await post(a.base, '/v1/resume', { reason: 'let me' }, ALICE);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden' });
    expect(refused.body.error).toContain('SRE_APPROVER_RULES');
    expect((await get(a.base, '/v1/status', ALICE)).body).toMatchObject({ paused: true });
    expect((await audit(db, 'decision.denied')).map((r) => r.actor)).toEqual(['alice']);
    expect((await post(a.base, '/v1/resume', { reason: 'carol checked' }, CAROL)).body).toMatchObject({ paused: false });
  });

  it('from the command line: resume without --reason changes nothing (exit 2)', async ({ db, startAgent }) => {
    const a = await startAgent(ENV);
    expect((await post(a.base, '/v1/pause', { reason: 'x' }, ALICE)).status).toBe(200);
    for (const [k, v] of Object.entries({ ...ENV, DATABASE_URL: db.url, NODE_ENV: 'test', LOG_LEVEL: 'silent' })) vi.stubEnv(k, v);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['resume', '--as', 'dave'])).toBe(2);
      expect((await get(a.base, '/v1/status', ALICE)).body).toMatchObject({ paused: true });
      expect(await main(['resume', '--as', 'dave', '--reason', 'fixed upstream'])).toBe(0);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
    expect(await audit(db, 'agent.resumed')).toMatchObject([{ actor: 'dave', payload: { reason: 'fixed upstream' } }]);
  });
});

describe('reverting an action two people approved needs a reason', () => {
  it('no reason: 400 and nothing reverted; with one it reverts once, the reason audited', async ({ db, msw, startAgent }) => {
    const applied = adminApi(msw);
    const a = await startAgent(ENV);
    const p = await executedByTwo(a);
    const before = applied.length;

    const bare = await post(a.base, `/v1/proposals/${p.id}/revert`, undefined, CAROL, '');
    expect(bare.status).toBe(400);
    expect(bare.body.error).toMatch(/two people.*needs a reason/);
    expect((await post(a.base, `/v1/proposals/${p.id}/revert`, { reason: '' }, CAROL)).status).toBe(400);
    expect(applied.length).toBe(before);
    expect((await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body.reverted_by ?? null).toBeNull();

    const done = await post(a.base, `/v1/proposals/${p.id}/revert`, { reason: 'the provider recovered' }, CAROL);
    expect(done.status).toBe(200);
    expect(applied.length).toBe(before + 1);
    const started = (await audit(db, 'execution.started')).filter((r) => r.payload.operation === 'revert');
    expect(started).toMatchObject([{ actor: 'carol', payload: { reason: 'the provider recovered' } }]);
  });

  it('from the command line: revert without --reason changes nothing (exit 1), with one it reverts', async ({ db, msw, startAgent }) => {
    const applied = adminApi(msw);
    const a = await startAgent(ENV);
    const p = await executedByTwo(a);
    const before = applied.length;
    for (const [k, v] of Object.entries({ ...ENV, DATABASE_URL: db.url, NODE_ENV: 'test', LOG_LEVEL: 'silent' })) vi.stubEnv(k, v);
    vi.useFakeTimers({ toFake: ['Date'], now: a.agent.deps.clock.now() });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['revert', p.id, '--as', 'dave'])).toBe(1);
      expect(applied.length).toBe(before);
      expect(await main(['revert', p.id, '--as', 'dave', '--reason', 'rolled back upstream'])).toBe(0);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
    expect(applied.length).toBe(before + 1);
    expect((await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body.reverted_by).toBe('dave');
  });
});
