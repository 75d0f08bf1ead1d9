import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSimulatedGateway } from '../../../src/actions/simulated.js';
import { queryRows, schema } from '../../../src/db/client.js';
import { parseApproverRules } from '../../../src/domain/approver-rules.js';
import { issueDecisionLinks } from '../../../src/notify/links.js';
import { expire } from '../../../src/proposals/expire.js';
import type { ServiceDeps } from '../../../src/proposals/types.js';
import { createConsole } from '../../../src/web/console/index.js';
import { PUBLIC_BASE_URL, makeDeps, seedPending } from '../../notify/fixtures.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { call, cookiesFrom, hidden, serve } from './client.js';

const TOKENS = [
  { name: 'alice', token: 'alice-token-0123456789' },
  { name: 'bob', token: 'bob-token-0123456789ab' },
];
const LINK_SECRET = 'link-secret-for-tests-0123456789';
const ANN = 'ann@example.com';
const BEN = 'ben@example.com';

function rules(text: string) {
  const r = parseApproverRules(text);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.rules;
}

describe('two-person approval, shadow and approver rules in the console and email links', () => {
  let d: TestDatabase;
  let srv: Awaited<ReturnType<typeof serve>>;
  let deps: ServiceDeps;
  let gateway = createSimulatedGateway();
  beforeAll(async () => {
    d = await freshPostgres();
    // The workday clock: the decision-time re-check scores again, and at a weekend night the
    // time-of-day factor alone would lift the score past the one the approver saw (stale).
    deps = makeDeps(d.db, { gateway });
    const c = createConsole({ deps, apiTokens: TOKENS, sessionSecret: 'session-secret-for-tests', publicBaseUrl: PUBLIC_BASE_URL, linkSecret: LINK_SECRET });
    srv = await serve((req, res, url) => c.handle(req, res, url));
  });
  // Each test gets a fresh simulated gateway: the seeds all break openai, and the decision-time
  // re-check (rightly) refuses, as stale, to open a breaker an earlier test left open.
  beforeEach(() => {
    gateway = createSimulatedGateway();
    deps.gateway = gateway;
  });
  afterAll(async () => {
    await srv.close();
    await d.dispose();
  });

  const row = async (id: string) => (await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, id)))[0]!;
  const kinds = async (id: string) => (await queryRows<{ kind: string }>(d.db, sql`select kind from sre_actions where proposal_id = ${id} order by seq`)).map((r) => r.kind);

  async function seed(opts: { required?: number; mode?: 'live' | 'shadow'; provider?: string } = {}) {
    const s = await seedPending(d.db, { provider: opts.provider });
    await d.db.update(schema.proposals).set({ approvalsRequired: opts.required ?? 2, mode: opts.mode ?? 'live' }).where(eq(schema.proposals.id, s.proposalId));
    return s;
  }

  async function signIn(token: string) {
    const form = await call(srv.port, 'GET', '/sre/login');
    const jar = cookiesFrom(form);
    const res = await call(srv.port, 'POST', '/sre/login', { headers: { cookie: jar }, form: { csrf: hidden(form.body, 'csrf')!, next: '/sre', token } });
    return cookiesFrom(res, jar);
  }

  async function consoleDecide(token: string, id: string, decision: 'approve' | 'reject') {
    const jar = await signIn(token);
    const page = await call(srv.port, 'GET', `/sre/proposals/${id}`, { headers: { cookie: jar } });
    const res = await call(srv.port, 'POST', `/sre/proposals/${id}/decision`, { headers: { cookie: jar }, form: { decision, csrf: hidden(page.body, 'csrf')! } });
    const after = res.status === 303 ? await call(srv.port, 'GET', res.headers.location!, { headers: { cookie: jar } }) : res;
    return { status: res.status, page: page.body, after: after.body };
  }

  async function linkDecide(proposalId: string, recipient: string, decision: 'approve' | 'reject' = 'approve') {
    const t = await issueDecisionLinks(d.db, { linkSecret: LINK_SECRET, proposalId, recipient, now: deps.clock.now(), ttlMs: 3_600_000 });
    const path = `/sre/decide/${t[decision]}`;
    const page = await call(srv.port, 'GET', path);
    const form = { csrf: hidden(page.body, 'csrf') ?? '', proposal_id: hidden(page.body, 'proposal_id') ?? '', decision: hidden(page.body, 'decision') ?? '' };
    const res = await call(srv.port, 'POST', path, { headers: { cookie: cookiesFrom(page) }, form });
    return { page: page.body, status: res.status, body: res.body };
  }

  it('console: one approval does nothing, the same operator again is refused, a second operator executes once', async () => {
    const s = await seed();
    const before = gateway.calls().length;
    const first = await consoleDecide(TOKENS[0]!.token, s.proposalId, 'approve');
    expect(first.page).toContain('<strong>Approvals:</strong> 0 of 2 — needs approvals from 2 different people');
    expect(first.status).toBe(303);
    expect(first.after).toContain('Your approval is recorded; a second person must approve');
    expect(first.after).toContain('1 of 2: alice');
    expect((await row(s.proposalId)).status).toBe('pending');
    expect(gateway.calls().length).toBe(before);

    const again = await consoleDecide(TOKENS[0]!.token, s.proposalId, 'approve');
    expect(again.status).toBe(409);
    expect(again.after).toContain('You approved');
    expect((await row(s.proposalId)).status).toBe('pending');

    const second = await consoleDecide(TOKENS[1]!.token, s.proposalId, 'approve');
    expect(second.status).toBe(303);
    expect((await row(s.proposalId)).status).toBe('succeeded');
    expect(gateway.calls().length).toBe(before + 1);
    expect(second.after).toContain('<strong>Approvals:</strong> 2 of 2: alice, bob');
    expect(await kinds(s.proposalId)).toEqual(['approval.recorded', 'decision.duplicate', 'proposal.approved', 'execution.started', 'execution.succeeded', 'verification.started']);
  });

  it('email links: each recipient counts once; a second recipient executes; a rejection by anyone ends it', async () => {
    const s = await seed();
    const before = gateway.calls().length;
    const ann = await linkDecide(s.proposalId, ANN);
    expect(ann.page).toContain('Needs approvals from 2 different people');
    expect(ann.status).toBe(200);
    expect(ann.body).toContain('Approval recorded');
    expect(ann.body).toContain('1 of 2: email:ann@example.com');
    // A second mail (an escalation) brings Ann new links: they still count once.
    const annAgain = await linkDecide(s.proposalId, ANN.toUpperCase());
    expect(annAgain.status).toBe(409);
    expect(annAgain.body).toContain('You approved');
    expect(gateway.calls().length).toBe(before);
    const ben = await linkDecide(s.proposalId, BEN);
    expect(ben.status, ben.body.slice(0, 3000)).toBe(200);
    expect((await row(s.proposalId)).status).toBe('succeeded');
    expect(gateway.calls().length).toBe(before + 1);

    const r = await seed();
    expect((await linkDecide(r.proposalId, ANN)).status).toBe(200);
    expect((await linkDecide(r.proposalId, BEN, 'reject')).status).toBe(200);
    expect((await row(r.proposalId)).status).toBe('rejected');
    expect((await consoleDecide(TOKENS[1]!.token, r.proposalId, 'approve')).status).toBe(409);
    expect(gateway.calls().length).toBe(before + 1);
  });

  it('expiry still applies after a first approval: no action taken, and a late second approval is refused', async () => {
    const s = await seed();
    const before = gateway.calls().length;
    expect((await consoleDecide(TOKENS[0]!.token, s.proposalId, 'approve')).status).toBe(303);
    await d.db.update(schema.proposals).set({ expiresAt: new Date(deps.clock.now().getTime() - 1000) }).where(eq(schema.proposals.id, s.proposalId));
    expect(await expire(deps, { proposalId: s.proposalId })).toBe(true);
    expect((await row(s.proposalId)).status).toBe('expired');
    const late = await consoleDecide(TOKENS[1]!.token, s.proposalId, 'approve');
    expect(late.status).toBe(409);
    expect(late.after).toContain('Already decided');
    expect(gateway.calls().length).toBe(before);
  });

  it('shadow: pages say shadow and "Would approve"; the decision is recorded and nothing executes', async () => {
    const s = await seed({ required: 1, mode: 'shadow' });
    const before = gateway.calls().length;
    const link = await linkDecide(s.proposalId, ANN);
    expect(link.page).toContain('Would approve this proposal?');
    expect(link.page).toContain('data-mode="shadow"');
    expect(link.body).toContain('Recorded: would approve');
    const p = await row(s.proposalId);
    expect(p.status).toBe('approved');
    expect(p.result).toMatchObject({ shadow: true, would_execute: { admin_api: { method: 'POST', path: expect.stringContaining('/circuit-breaker') } } });
    expect(await kinds(s.proposalId)).toEqual(['proposal.approved', 'execution.skipped']);

    const c = await seed({ required: 1, mode: 'shadow' });
    const jar = await signIn(TOKENS[0]!.token);
    const page = await call(srv.port, 'GET', `/sre/proposals/${c.proposalId}`, { headers: { cookie: jar } });
    expect(page.body).toContain('>Would approve</button>');
    expect(page.body).toContain('>Would reject</button>');
    expect(page.body).toContain('<strong>Shadow mode:</strong>');
    const res = await consoleDecide(TOKENS[0]!.token, c.proposalId, 'approve');
    expect(res.after).toContain('Would approve (shadow, nothing executed)');
    expect((await call(srv.port, 'GET', '/sre', { headers: { cookie: jar } })).body).not.toContain('<strong>shadow</strong> (never executes)');
    deps.policy.mode = 'shadow';
    try {
      expect((await call(srv.port, 'GET', '/sre', { headers: { cookie: jar } })).body).toContain('<strong>shadow</strong> (never executes)');
    } finally {
      deps.policy.mode = 'live';
    }
    expect((await row(c.proposalId)).status).toBe('approved');
    expect(gateway.calls().length).toBe(before);
  });

  it('approver rules bind the console and email links: others are refused and audited, the named approve', async () => {
    deps.policy.approverRules = rules(`circuit_break_provider:bob|${BEN}`);
    try {
      // Providers no other test breaks: the decision-time re-check scores the risk again, and earlier
      // breaks of the same target (repetition) and the rejection of t (recent_rejection) would push
      // s past the two-person score, so s goes stale instead of executing.
      const s = await seed({ required: 1, provider: 'bedrock' });
      const denied = await consoleDecide(TOKENS[0]!.token, s.proposalId, 'approve');
      expect(denied.status).toBe(403);
      expect(denied.after).toContain('only bob, ben@example.com may approve circuit_break_provider');
      const annLink = await linkDecide(s.proposalId, ANN);
      expect(annLink.status).toBe(403);
      expect((await row(s.proposalId)).status).toBe('pending');
      // Rejecting stays open to everyone who may decide.
      const t = await seed({ required: 1, provider: 'vertex' });
      expect((await consoleDecide(TOKENS[0]!.token, t.proposalId, 'reject')).status).toBe(303);
      expect((await row(t.proposalId)).status).toBe('rejected');

      expect((await linkDecide(s.proposalId, BEN)).status).toBe(200);
      expect((await row(s.proposalId)).status).toBe('succeeded');
      const denials = await queryRows<{ actor: string; reason: string }>(d.db, sql`select actor, payload->>'reason' as reason from sre_actions where proposal_id = ${s.proposalId} and kind = 'decision.denied' order by seq`);
      expect(denials.map((x) => x.actor)).toEqual(['alice', 'email:ann@example.com']);
    } finally {
      delete deps.policy.approverRules;
    }
  });
});
