import { sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import pino from 'pino';
import { describe, expect } from 'vitest';
import type { LoggedPage } from '../../src/actions/pagerduty.js';
import { describeDefaults, loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { escalate } from '../../src/proposals/escalate.js';
import { pageAbout } from '../../src/proposals/oncall.js';
import { ALICE, INGEST_TOKEN, event, get, post, type RunningAgent } from '../support/agent.js';
import type { TestDatabase } from '../support/db.js';
import { agentTest as it } from '../support/fixtures.js';

/**
 * Paging never waits for the person it pages, and never says it paged when it did not (issue 24,
 * items 1 and 2): a page through the log-only pager is recorded as not paged; by default a
 * page_oncall proposal pages at once through the gate; with SRE_PAGE_WITHOUT_APPROVAL=false it
 * waits for a person and pages anyway when nobody decided by SRE_ESCALATE_AFTER.
 */

const PD = 'https://events.pagerduty.test/v2/enqueue';
/** Unset, as config/.env.example ships it: the product default (testConfig turns it off for older tests). */
const DEFAULTS = { SRE_PAGE_WITHOUT_APPROVAL: '' };

/** A hard budget limit: the playbook pages (severity error), risk 42 on a workday — above the default threshold 40. */
const hardBudget = (team = 't-research') => event('budget.exceeded', { scope: 'team', scope_id: team, limit_kind: 'hard', limit_usd: 5000, spend_usd: 5230.5, period: '2026-11' });

interface View {
  id: string;
  status: string;
  action: string;
  target: string;
  risk_score: number;
  route: string;
  decided_by: string | null;
  decided_via: string | null;
  decision_reason: string | null;
  result: Record<string, unknown> | null;
  risk_factors: { name: string; delta: number; reason: string }[];
}

async function proposeFor(x: RunningAgent, e: unknown): Promise<View> {
  expect((await post(x.base, '/v1/events', e, INGEST_TOKEN)).status).toBe(202);
  await x.agent.tick();
  const all = (await get(x.base, '/v1/proposals', ALICE)).body.proposals as (View & { incident: { latest: Record<string, unknown> } })[];
  const id = (e as { data: Record<string, unknown> }).data.scope_id;
  const p = all.find((v) => v.incident.latest.scope_id === id);
  if (!p) throw new Error(`no proposal for ${String(id)}`);
  return p;
}

const pages = (x: RunningAgent): LoggedPage[] => (x.agent.deps.pager as unknown as { pages(): LoggedPage[] }).pages();
const audit = async (db: TestDatabase, proposalId: string) =>
  queryRows<{ kind: string; actor: string; payload: Record<string, unknown> }>(db.db, sql`select kind, actor, payload from sre_actions where proposal_id = ${proposalId} order by seq`);

describe('the log-only pager (PAGERDUTY_ROUTING_KEY unset)', () => {
  it('warns in the first log lines that page_oncall and escalation page nobody', async ({ startAgent }) => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
    await startAgent(DEFAULTS, { logger });
    const first = lines.slice(0, 20);
    expect(first).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringMatching(/PAGERDUTY_ROUTING_KEY is unset, so page_oncall and escalation page NOBODY/) }));
  });

  it('an executed page is recorded as not paged: result, audit row and the pager agree', async ({ db, startAgent }) => {
    const a = await startAgent({ SRE_PAGE_WITHOUT_APPROVAL: 'false' });
    const p = await proposeFor(a, hardBudget());
    expect(p).toMatchObject({ action: 'page_oncall', status: 'pending' });
    const done = (await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE)).body as View;
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ ok: true, paged: false, not_paged: 'PagerDuty is not configured' });
    const succeeded = (await audit(db, p.id)).find((r) => r.kind === 'execution.succeeded');
    expect(succeeded?.payload).toMatchObject({ paged: false, not_paged: 'PagerDuty is not configured' });
    expect(pages(a)).toHaveLength(1);
  });

  it("the agent's own page (a failed verification, a lost execution) is recorded as not paged", async ({ db, startAgent }) => {
    const a = await startAgent({ SRE_PAGE_WITHOUT_APPROVAL: 'false' });
    const p = await proposeFor(a, hardBudget());
    await pageAbout(a.agent.deps, { proposalId: p.id, dedupKey: `verify:${p.id}`, why: 'did not help', summary: () => 'SRE agent: it did not help' });
    const row = (await audit(db, p.id)).find((r) => r.kind === 'oncall.paged');
    expect(row?.payload).toMatchObject({ dedup_key: `verify:${p.id}`, paged: false, not_paged: 'PagerDuty is not configured' });
  });
});

describe('SRE_PAGE_WITHOUT_APPROVAL (default true): a page does not wait for the person it pages', () => {
  it('is on unless set to false, and the first log lines say which', () => {
    expect(loadConfig({}).policy.pageWithoutApproval).toBe(true);
    expect(loadConfig({ SRE_PAGE_WITHOUT_APPROVAL: 'false' }).policy.pageWithoutApproval).toBe(false);
    expect(() => loadConfig({ SRE_PAGE_WITHOUT_APPROVAL: 'maybe' })).toThrow(/SRE_PAGE_WITHOUT_APPROVAL/);
    expect(describeDefaults(loadConfig({}))).toContain('paging: page_oncall pages at once without approval, through the gate (SRE_PAGE_WITHOUT_APPROVAL=true)');
  });

  it('a page at risk 42–45, above the threshold, pages at once, decided by the policy and saying so', async ({ db, startAgent }) => {
    const a = await startAgent(DEFAULTS);
    const p = await proposeFor(a, hardBudget());
    expect(p.action).toBe('page_oncall');
    expect(p.risk_score).toBeGreaterThanOrEqual(42);
    expect(p.risk_score).toBeLessThanOrEqual(45);
    expect(p.risk_score).toBeGreaterThan(40);
    expect(p).toMatchObject({ status: 'succeeded', route: 'auto', decided_by: 'system:policy', decided_via: 'policy', decision_reason: expect.stringMatching(/without approval \(SRE_PAGE_WITHOUT_APPROVAL=true\)/) });
    expect(p.result).toMatchObject({ paged: false, not_paged: 'PagerDuty is not configured' });
    // The demo's budget event, which the simulated gateway contradicts: a page changes nothing there, so it goes out and says so.
    expect(p.risk_factors).toContainEqual({ name: 'gateway_disagrees', delta: 0, reason: expect.stringMatching(/paged anyway/) });
    const kinds = (await audit(db, p.id)).map((r) => `${r.kind} ${r.actor}`);
    expect(kinds).toEqual(expect.arrayContaining(['proposal.approved system:policy', 'execution.started system:agent', 'execution.succeeded system:agent']));
  });

  it('a real page records paged: true', async ({ msw, startAgent }) => {
    const sent: string[] = [];
    msw.use(
      http.post(PD, async ({ request }) => {
        const body = (await request.json()) as { event_action: string; dedup_key: string };
        sent.push(`${body.event_action} ${body.dedup_key}`);
        return HttpResponse.json({ status: 'success', dedup_key: body.dedup_key }, { status: 202 });
      }),
    );
    const a = await startAgent({ ...DEFAULTS, PAGERDUTY_ROUTING_KEY: 'R0UTINGKEY0123456789abcdef012345', PAGERDUTY_EVENTS_URL: PD });
    const p = await proposeFor(a, hardBudget());
    expect(p).toMatchObject({ status: 'succeeded', result: { paged: true } });
    expect(p.result).not.toHaveProperty('not_paged');
    expect(sent).toContain(`trigger page:${p.id}`);
  });

  it('is refused while the agent is paused: the page waits, nobody is paged, and the factor says why', async ({ startAgent }) => {
    const a = await startAgent(DEFAULTS);
    expect((await post(a.base, '/v1/pause', { reason: 'pager storm' }, ALICE)).status).toBe(200);
    const p = await proposeFor(a, hardBudget());
    expect(p).toMatchObject({ action: 'page_oncall', status: 'pending', route: 'gate' });
    expect(p.risk_factors).toContainEqual({ name: 'kill_switch', delta: 0, reason: expect.stringMatching(/paused by alice \("pager storm"\)/) });
    expect(pages(a)).toEqual([]);
  });

  it('is refused in shadow mode: approved by the policy, recorded as what it would do, nobody paged', async ({ db, startAgent }) => {
    const a = await startAgent({ ...DEFAULTS, SRE_MODE: 'shadow' });
    const p = await proposeFor(a, hardBudget());
    expect(p).toMatchObject({ action: 'page_oncall', status: 'approved', decided_by: 'system:policy', result: { shadow: true } });
    expect((await audit(db, p.id)).map((r) => r.kind)).toContain('execution.skipped');
    expect(pages(a)).toEqual([]);
  });
});

describe('SRE_PAGE_WITHOUT_APPROVAL=false: a page waits for a person, but never unseen', () => {
  it('still pending at SRE_ESCALATE_AFTER, it pages anyway, decided by the policy', async ({ db, startAgent }) => {
    const a = await startAgent({ SRE_PAGE_WITHOUT_APPROVAL: 'false' });
    const p = await proposeFor(a, hardBudget());
    expect(p).toMatchObject({ action: 'page_oncall', status: 'pending' });
    expect(pages(a)).toEqual([]);
    const r = await escalate(a.agent.deps, { proposalId: p.id });
    expect(r).toMatchObject({ escalated: true, did: 'paged_anyway', paged: false, not_paged: 'PagerDuty is not configured' });
    const after = (await get(a.base, `/v1/proposals/${p.id}`, ALICE)).body as View;
    expect(after).toMatchObject({ status: 'succeeded', decided_by: 'system:policy', decided_via: 'policy', decision_reason: expect.stringMatching(/nobody decided within SRE_ESCALATE_AFTER \(15 min\)/), result: { paged: false } });
    const rows = await audit(db, p.id);
    expect(rows.find((x) => x.kind === 'proposal.escalated')?.payload).toMatchObject({ did: 'paged_anyway' });
    expect(rows.find((x) => x.kind === 'proposal.approved')?.actor).toBe('system:policy');
    expect(pages(a)).toHaveLength(1);
    // Escalated once: a second timer does nothing.
    expect(await escalate(a.agent.deps, { proposalId: p.id })).toMatchObject({ escalated: false, reason: 'not_pending' });
  });

  it('a page rejected before escalation pages nobody; a paused agent only re-notifies and says the page is held', async ({ db, startAgent }) => {
    const a = await startAgent({ SRE_PAGE_WITHOUT_APPROVAL: 'false' });
    const p = await proposeFor(a, hardBudget());
    await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'finance handles it' }, ALICE);
    expect(await escalate(a.agent.deps, { proposalId: p.id })).toMatchObject({ escalated: false, reason: 'not_pending' });
    await post(a.base, '/v1/pause', { reason: 'maintenance' }, ALICE);
    const q = await proposeFor(a, hardBudget('t-other'));
    expect(await escalate(a.agent.deps, { proposalId: q.id })).toMatchObject({ escalated: true, did: 'renotified', paged: false, not_paged: 'PagerDuty is not configured' });
    const esc = (await audit(db, q.id)).find((x) => x.kind === 'proposal.escalated');
    expect(esc?.payload).toMatchObject({ did: 'renotified', paged: false, not_paged: 'PagerDuty is not configured', page_held: expect.stringMatching(/paused by alice/) });
    expect(pages(a)).toEqual([]);
  });
});
