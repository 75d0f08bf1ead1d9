import { Writable } from 'node:stream';
import { WebClient } from '@slack/web-api';
import { sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import pino from 'pino';
import { describe, expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { parsePeople } from '../../src/domain/people.js';
import { decide } from '../../src/proposals/index.js';
import { createApproverCheck } from '../../src/slack/approvers.js';
import { ALICE, BOB, INGEST_TOKEN, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import { ADMIN, adminApiStandIn as adminApi } from '../support/admin-api.js';
import { agentTest as it, type Msw } from '../support/fixtures.js';

const SLACK_API = 'https://slack.people.test/api/';
const CAROL = 'carol-token-0123456789abcd';


/** Slack's users.info as msw: each user's profile email; every call recorded. */
function slackUsers(server: Msw, emails: Record<string, string>) {
  const calls: string[] = [];
  server.use(
    http.post(`${SLACK_API}users.info`, async ({ request }) => {
      const user = new URLSearchParams(await request.text()).get('user') ?? '';
      calls.push(user);
      return HttpResponse.json(emails[user] ? { ok: true, user: { id: user, profile: { email: emails[user] } } } : { ok: false, error: 'user_not_found' });
    }),
  );
  return calls;
}

const PEOPLE = 'alice=U0ALICE|Alice@Example.com|alice;bob=U0BOB|bob@example.com|bob';
// Circuit-breaking scores 25: at a two-person score of 20 it needs two people.
const ENV = { ADMIN_API_URL: ADMIN, ADMIN_API_TOKEN: 'admin-secret', SRE_TWO_PERSON_SCORE: '20', SRE_API_TOKENS: `alice:${ALICE},bob:${BOB},carol:${CAROL}`, SRE_PEOPLE: PEOPLE };

async function pendingProposal(agent: RunningAgent) {
  expect((await post(agent.base, '/v1/events', unhealthy('openai', { requests: 60, window_seconds: 60 }), INGEST_TOKEN)).status).toBe(202);
  await agent.agent.tick();
  const list = await get(agent.base, '/v1/proposals?status=pending', ALICE);
  expect(list.body.proposals).toHaveLength(1);
  expect(list.body.proposals[0]).toMatchObject({ approvals_required: 2 });
  return list.body.proposals[0] as { id: string };
}

const approve = (a: RunningAgent, id: string, token: string) => post(a.base, `/v1/proposals/${id}/decision`, { decision: 'approve' }, token);
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: { code?: string; message?: string }) => e);

describe('SRE_PEOPLE: the two-person rule counts people, not identities', () => {
  it('alice over the API, then through her mailed link or Slack, is one person: 409 same_approver, nothing executes; bob completes it', async ({ msw, startAgent }) => {
    const applied = adminApi(msw);
    const a = await startAgent(ENV);
    const p = await pendingProposal(a);
    expect((await approve(a, p.id, ALICE)).status).toBe(200);

    const byMail = await refusal(decide(a.agent.deps, { proposalId: p.id, decision: 'approve', actor: { type: 'email', recipient: 'alice@example.com' } }));
    expect(byMail).toMatchObject({ code: 'same_approver' });
    const bySlack = await refusal(decide(a.agent.deps, { proposalId: p.id, decision: 'approve', actor: { type: 'slack', userId: 'U0ALICE', teamId: 'T1' } }));
    expect(bySlack).toMatchObject({ code: 'same_approver' });
    expect(applied).toHaveLength(0);
    expect((await get(a.base, `/v1/proposals/${p.id}`, BOB)).body).toMatchObject({ status: 'pending', approvals: [{ by: 'alice' }] });

    const second = await approve(a, p.id, BOB);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'succeeded', decided_by: 'bob' });
    expect(applied.map((w) => w.path)).toEqual(['/v1/providers/openai/circuit-breaker']);
  });

  it('the mailed link first, then the API: still one person (the stored approval names the person)', async ({ db, msw, startAgent }) => {
    adminApi(msw);
    const a = await startAgent(ENV);
    const p = await pendingProposal(a);
    await decide(a.agent.deps, { proposalId: p.id, decision: 'approve', actor: { type: 'email', recipient: 'ALICE@example.com' } });
    const again = await approve(a, p.id, ALICE);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'same_approver', required: 2 });
    const rows = await queryRows<{ approver: string }>(db.db, sql`select approver from proposal_approvals where proposal_id = ${p.id}`);
    expect(rows).toEqual([{ approver: 'person:alice' }]);
  });

  it("a Slack user SRE_PEOPLE does not list by id is linked by the email Slack reports (users.info, cached)", async ({ msw, startAgent }) => {
    const applied = adminApi(msw);
    const calls = slackUsers(msw, { U0ALT: 'alice@example.com' });
    const a = await startAgent(ENV);
    const check = createApproverCheck({ client: new WebClient('xoxb-test', { slackApiUrl: SLACK_API, retryConfig: { retries: 0 } }), approvers: ['U0ALT'], installedTeam: async () => 'T1', logger: pino({ level: 'silent' }), now: () => a.agent.deps.clock.nowMs() });
    a.agent.deps.slackEmail = (u) => check.email(u);
    const p = await pendingProposal(a);
    expect((await approve(a, p.id, ALICE)).status).toBe(200);
    const slack = { type: 'slack', userId: 'U0ALT', teamId: 'T1', name: 'alice2' } as const;
    expect(await refusal(decide(a.agent.deps, { proposalId: p.id, decision: 'approve', actor: slack }))).toMatchObject({ code: 'same_approver' });
    expect(await refusal(decide(a.agent.deps, { proposalId: p.id, decision: 'approve', actor: slack }))).toMatchObject({ code: 'same_approver' });
    expect(calls).toEqual(['U0ALT']);
    expect(applied).toHaveLength(0);
  });

  it('fail closed: an identity that maps to no person cannot give the second approval (403, audited, still pending)', async ({ db, msw, startAgent }) => {
    const applied = adminApi(msw);
    slackUsers(msw, {});
    const a = await startAgent(ENV);
    const check = createApproverCheck({ client: new WebClient('xoxb-test', { slackApiUrl: SLACK_API, retryConfig: { retries: 0 } }), approvers: [], installedTeam: async () => 'T1', logger: pino({ level: 'silent' }) });
    a.agent.deps.slackEmail = (u) => check.email(u);
    const p = await pendingProposal(a);
    expect((await approve(a, p.id, ALICE)).status).toBe(200);

    const carol = await approve(a, p.id, CAROL);
    expect(carol.status).toBe(403);
    expect(carol.body.code).toBe('forbidden');
    expect(carol.body.error).toContain('SRE_PEOPLE');
    const stranger = await refusal(decide(a.agent.deps, { proposalId: p.id, decision: 'approve', actor: { type: 'slack', userId: 'U0NOBODY', teamId: 'T1' } }));
    expect(stranger).toMatchObject({ code: 'forbidden' });
    const mail = await refusal(decide(a.agent.deps, { proposalId: p.id, decision: 'approve', actor: { type: 'email', recipient: 'someone@else.com' } }));
    expect(mail).toMatchObject({ code: 'forbidden' });
    expect(applied).toHaveLength(0);
    const denied = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from sre_actions where proposal_id = ${p.id} and kind = 'decision.denied'`);
    expect(denied[0]!.n).toBe(3);
    expect((await approve(a, p.id, BOB)).body).toMatchObject({ status: 'succeeded' });
  });

  it('unset, the first log lines say one person\'s channels cannot be told apart', async ({ startAgent }) => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    await startAgent({}, { logger: pino({ level: 'info' }, sink) });
    const warned = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40 && l.msg.includes('SRE_PEOPLE'));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toContain('cannot be told apart');
  });

  it('is parsed strictly: every problem named, the process refuses to start', () => {
    expect(parsePeople('alice=U0ALICE|alice@example.com|alice')).toMatchObject({ ok: true });
    const bad = parsePeople('alice=U0ALICE|alice;bob=U0ALICE;carol;dave=|;eve=a b');
    expect(bad.ok).toBe(false);
    const problems = bad.ok ? [] : bad.problems;
    expect(problems.join('\n')).toMatch(/"U0ALICE" belongs to alice already/);
    expect(problems.join('\n')).toMatch(/person 3 \("carol"\): expected name=identity/);
    expect(problems.join('\n')).toMatch(/no identity for dave/);
    expect(problems.join('\n')).toMatch(/"a b" is neither/);
    expect(() => loadConfig({ SRE_PEOPLE: 'alice=U0A|x;bob=U0A' })).toThrow(/SRE_PEOPLE: .*belongs to alice already/);
  });
});
