import { sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { describe, expect } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { ALICE, BOB, INGEST_TOKEN, event, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import type { TestDatabase } from '../support/db.js';
import { agentTest, type Msw } from '../support/fixtures.js';

const ADMIN = 'https://admin.scutum.test';
const PD = 'https://events.pagerduty.test/v2/enqueue';
const HOOK = 'https://hooks.example.test/sre';

/**
 * The admin-api answers reads; every write and every PagerDuty call is recorded (and must not happen
 * in shadow). An HTTP stand-in, not the simulated gateway, on purpose: shadow mode is proven where a
 * request would leave the process.
 */
function outside(server: Msw) {
  const writes: string[] = [];
  const pages: unknown[] = [];
  const hooks: { kind: string; proposal: { mode: string } | null }[] = [];
  server.use(
    http.post(HOOK, async ({ request }) => {
      hooks.push((await request.json()) as (typeof hooks)[number]);
      return HttpResponse.json({ ok: true });
    }),
    http.get(`${ADMIN}/v1/providers/:p`, ({ params }) => HttpResponse.json({ name: params.p, healthy: false })),
    http.get(`${ADMIN}/v1/model-groups/:g`, ({ params }) =>
      HttpResponse.json({ name: params.g, provider: 'openai', providers: [{ name: 'openai', healthy: false }, { name: 'azure-openai', healthy: true }] }),
    ),
    http.get(`${ADMIN}/v1/*`, () => HttpResponse.json({ error: 'not found' }, { status: 404 })),
    http.all(`${ADMIN}/v1/*`, ({ request }) => {
      writes.push(`${request.method} ${new URL(request.url).pathname}`);
      return HttpResponse.json({ ok: true });
    }),
    http.post(PD, async ({ request }) => {
      pages.push(await request.json());
      return HttpResponse.json({ status: 'success', message: 'Event processed', dedup_key: 'x' }, { status: 202 });
    }),
  );
  return { writes, pages, hooks };
}

const BASE_ENV = {
  ADMIN_API_URL: ADMIN,
  ADMIN_API_TOKEN: 'admin-secret',
  PAGERDUTY_ROUTING_KEY: 'routing-key-0123456789abcdef',
  PAGERDUTY_EVENTS_URL: PD,
  SRE_PAGERDUTY_MIN_SCORE: '0',
  SRE_AUTO_APPROVE: 'true',
  SRE_RISK_THRESHOLD: '100',
};
// Circuit-breaking (25) auto-approves; paging on a budget (35 and up) needs two people.
const SHADOW = { ...BASE_ENV, SRE_MODE: 'shadow', SRE_TWO_PERSON_SCORE: '30', SRE_ESCALATE_AFTER: '1s', SRE_WEBHOOK_URLS: HOOK, SRE_WEBHOOK_SECRET: 'webhook-secret-0123456789abcdefghij' };

const test = agentTest;
const modeRows = (db: TestDatabase) => queryRows<{ from: string; to: string }>(db.db, sql`select payload->>'from' as "from", payload->>'to' as "to" from sre_actions where kind = 'mode.changed' order by seq`);

/** Outbox rows are stamped with the database's clock; the agent's runs on the pinned workday clock. */
async function tick(db: TestDatabase, agent: RunningAgent) {
  await db.db.execute(sql`update outbox set next_attempt_at = '2000-01-01' where status = 'pending'`);
  await agent.agent.tick();
}

async function ingest(db: TestDatabase, agent: RunningAgent, e: unknown) {
  expect((await post(agent.base, '/v1/events', e, INGEST_TOKEN)).status).toBe(202);
  await tick(db, agent);
}

describe('shadow mode', () => {
  test('with auto-approve on and threshold 100 nothing reaches the admin-api or PagerDuty, from any path', async ({ db, msw, clock, startAgent }) => {
    const calls = outside(msw);
    const a = await startAgent(SHADOW);

    await ingest(db, a, unhealthy('openai', { requests: 60, window_seconds: 60 }));
    const auto = (await get(a.base, '/v1/proposals', ALICE)).body.proposals[0];
    expect(auto).toMatchObject({ action: 'circuit_break_provider', route: 'auto', status: 'approved', mode: 'shadow', decided_by: 'system:policy' });
    expect(auto.result).toMatchObject({ shadow: true, would_execute: { admin_api: { method: 'POST', path: '/v1/providers/openai/circuit-breaker' } } });

    await ingest(db, a, event('budget.exceeded', { scope: 'team', scope_id: 't-search', limit_kind: 'hard', limit_usd: 100, spend_usd: 120, period: '2026-11' }));
    const page = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals[0];
    expect(page).toMatchObject({ action: 'page_oncall', route: 'gate', mode: 'shadow', approvals_required: 2 });
    // Escalation comes due: it would page; in shadow it does not.
    await clock.advance(1_100);
    await tick(db, a);
    await tick(db, a);
    expect((await get(a.base, `/v1/proposals/${page.id}`, ALICE)).body.escalated_at).not.toBeNull();

    expect((await post(a.base, `/v1/proposals/${page.id}/decision`, { decision: 'approve' }, ALICE)).body.status).toBe('pending');
    const done = await post(a.base, `/v1/proposals/${page.id}/decision`, { decision: 'approve' }, BOB);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'approved', mode: 'shadow', result: { shadow: true, would_execute: { pagerduty: { dedup_key: `page:${page.id}` } } } });
    await tick(db, a);
    await tick(db, a);

    expect(calls.writes).toEqual([]);
    expect(calls.pages).toEqual([]);
    const skipped = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from sre_actions where kind = 'execution.skipped'`);
    expect(skipped[0]!.n).toBe(2);
    const sent = await queryRows<{ status: string; kind: string; reason: string }>(db.db, sql`select status, kind, result->>'reason' as reason from outbox where channel = 'pagerduty' order by id`);
    expect(sent.map((r) => r.kind)).toEqual(['proposal.created', 'proposal.created', 'proposal.escalated', 'proposal.decided', 'proposal.decided']);
    for (const r of sent) expect(r).toMatchObject({ status: 'skipped', reason: expect.stringContaining('shadow mode') });
    expect(await modeRows(db)).toEqual([{ from: 'live', to: 'shadow' }]);
    // Every webhook payload about a proposal says shadow.
    const about = calls.hooks.filter((x) => x.proposal);
    expect(about.length).toBeGreaterThan(3);
    expect(about.every((x) => x.proposal!.mode === 'shadow')).toBe(true);
  });

  test('a switch of mode is audited once per switch; in shadow a live success is not reverted and a live approval is not executed', async ({ db, msw, startAgent }) => {
    const calls = outside(msw);
    let a = await startAgent({ ...BASE_ENV, SRE_AUTO_APPROVE: 'true' });
    await ingest(db, a, unhealthy('openai', { requests: 60, window_seconds: 60 }));
    const live = (await get(a.base, '/v1/proposals', ALICE)).body.proposals[0];
    expect(live).toMatchObject({ status: 'succeeded', mode: 'live' });
    expect(calls.writes).toHaveLength(1);
    expect(await modeRows(db)).toEqual([]);
    await a.stop();

    a = await startAgent({ ...BASE_ENV, SRE_MODE: 'shadow', SRE_AUTO_APPROVE: 'false' });
    expect(await modeRows(db)).toEqual([{ from: 'live', to: 'shadow' }]);
    const revert = await post(a.base, `/v1/proposals/${live.id}/revert`, {}, ALICE);
    expect(revert.status).toBe(422);
    expect(revert.body.error).toContain('shadow mode');
    await ingest(db, a, unhealthy('anthropic', { requests: 60, window_seconds: 60, model_group: 'claude-sonnet' }));
    const pending = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals[0];
    expect(pending.mode).toBe('shadow');
    await a.stop();

    // Back to live: the shadow proposal keeps its mode, and its approval still executes nothing.
    a = await startAgent({ ...BASE_ENV, SRE_AUTO_APPROVE: 'false' });
    await a.stop();
    a = await startAgent({ ...BASE_ENV, SRE_AUTO_APPROVE: 'false' });
    expect(await modeRows(db)).toEqual([
      { from: 'live', to: 'shadow' },
      { from: 'shadow', to: 'live' },
    ]);
    const approved = await post(a.base, `/v1/proposals/${pending.id}/decision`, { decision: 'approve' }, ALICE);
    expect(approved.body).toMatchObject({ status: 'approved', mode: 'shadow', result: { shadow: true } });
    expect(calls.writes).toHaveLength(1);
    expect(calls.pages).toEqual([]);
  });
});
