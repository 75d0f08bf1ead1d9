import { readingClock } from '../../support/clock.js';
import { systemClock } from '../../../src/clock.js';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, schema } from '../../../src/db/client.js';
import { issueDecisionLinks } from '../../../src/notify/links.js';
import { expire } from '../../../src/proposals/expire.js';
import { decide } from '../../../src/proposals/decide.js';
import { routeDecideLink } from '../../../src/web/decide-links.js';
import { PUBLIC_BASE_URL, makeDeps, seedPending } from '../../notify/fixtures.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { call, cookiesFrom, hidden, serve } from './client.js';

const SECRET = 'link-secret-for-tests-0123456789';
const ALICE = 'oncall@example.com';

describe('email decision links', () => {
  let d: TestDatabase;
  let srv: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    d = await freshPostgres();
    const deps = makeDeps(d.db, { clock: systemClock}); // token times here are wall-clock; nothing is scored
    srv = await serve((req, res, url) => routeDecideLink(req, res, url, { deps, linkSecret: SECRET, publicBaseUrl: PUBLIC_BASE_URL }));
  });
  afterAll(async () => {
    await srv.close();
    await d.dispose();
  });

  const status = async (id: string) => (await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, id)))[0]!;
  const decisions = async (id: string) =>
    queryRows<{ kind: string; actor: string }>(d.db, sql`select kind, actor from sre_actions where proposal_id = ${id} and kind in ('proposal.approved','proposal.rejected') order by seq`);
  const links = (proposalId: string, opts: { now?: Date; ttlMs?: number; recipient?: string } = {}) =>
    issueDecisionLinks(d.db, { linkSecret: SECRET, proposalId, recipient: opts.recipient ?? ALICE, now: opts.now ?? new Date(), ttlMs: opts.ttlMs ?? 3_600_000 });
  const path = (token: string) => `/sre/decide/${token}`;

  async function confirm(token: string) {
    const page = await call(srv.port, 'GET', path(token));
    return { page, cookie: cookiesFrom(page), form: { csrf: hidden(page.body, 'csrf') ?? '', proposal_id: hidden(page.body, 'proposal_id') ?? '', decision: hidden(page.body, 'decision') ?? '' } };
  }

  it('GET, HEAD and a second GET decide nothing; the POST from the page decides once, as the recipient', async () => {
    const s = await seedPending(d.db, { reasoning: 'payload <script>alert("x")</script>' });
    const t = await links(s.proposalId);

    const first = await call(srv.port, 'GET', path(t.approve), { headers: { host: 'evil.example' } });
    expect(first.status).toBe(200);
    expect(first.body).toContain('Approve this proposal?');
    expect(first.body).toContain('circuit_break_provider');
    expect(first.body).toContain(`action="${PUBLIC_BASE_URL}/sre/decide/${t.approve}"`);
    expect(first.body).not.toContain('evil.example');
    expect(first.body).not.toContain('<script>');
    expect(first.body).toContain('payload &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(first.headers['content-security-policy']).toContain("default-src 'none'");
    expect(first.headers['set-cookie']?.[0]).toMatch(/^sre_dl=.*HttpOnly; SameSite=Strict; Secure/);

    const head = await call(srv.port, 'HEAD', path(t.approve));
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const again = await call(srv.port, 'GET', path(t.approve));
    expect(again.status).toBe(200);
    expect((await status(s.proposalId)).status).toBe('pending');
    expect(await decisions(s.proposalId)).toEqual([]);

    // A form post without the page's CSRF token (a scanner replaying the URL as POST) changes nothing.
    const blind = await call(srv.port, 'POST', path(t.approve), { form: { proposal_id: s.proposalId, decision: 'approve' } });
    expect(blind.status).toBe(403);
    const c = await confirm(t.approve);
    const foreignOrigin = await call(srv.port, 'POST', path(t.approve), { headers: { cookie: c.cookie, origin: 'https://evil.example' }, form: c.form });
    expect(foreignOrigin.status).toBe(403);
    expect((await status(s.proposalId)).status).toBe('pending');

    const ok = await call(srv.port, 'POST', path(t.approve), { headers: { cookie: c.cookie, origin: PUBLIC_BASE_URL }, form: c.form });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('Approved');
    const p = await status(s.proposalId);
    expect(['approved', 'executing', 'succeeded']).toContain(p.status);
    expect(p.decidedBy).toBe(`email:${ALICE}`);
    expect(p.decidedVia).toBe('email');
    expect(await decisions(s.proposalId)).toEqual([{ kind: 'proposal.approved', actor: `email:${ALICE}` }]);

    // Reuse, and the same recipient's other decision, are refused; nothing changes.
    const reuse = await call(srv.port, 'POST', path(t.approve), { headers: { cookie: c.cookie }, form: c.form });
    expect(reuse.status).toBe(410);
    expect(reuse.body).toContain('already used');
    expect((await call(srv.port, 'GET', path(t.reject))).status).toBe(410);
    expect(await decisions(s.proposalId)).toHaveLength(1);
  });

  it("refuses another proposal's token and the other decision's token", async () => {
    const a = await seedPending(d.db, { provider: 'anthropic' });
    const b = await seedPending(d.db, { provider: 'bedrock' });
    const ta = await links(a.proposalId);
    const tb = await links(b.proposalId);

    // The confirmation form of proposal A submitted with B's token.
    const ca = await confirm(ta.approve);
    const cross = await call(srv.port, 'POST', path(tb.approve), { headers: { cookie: ca.cookie }, form: ca.form });
    expect(cross.status).toBe(403);
    // B's own page, its form edited to name proposal A.
    const cb = await confirm(tb.approve);
    const renamed = await call(srv.port, 'POST', path(tb.approve), { headers: { cookie: cb.cookie }, form: { ...cb.form, proposal_id: a.proposalId } });
    expect(renamed.status).toBe(400);
    // A's reject page, its form edited to approve.
    const cr = await confirm(ta.reject);
    const flipped = await call(srv.port, 'POST', path(ta.reject), { headers: { cookie: cr.cookie }, form: { ...cr.form, decision: 'approve' } });
    expect(flipped.status).toBe(400);
    // The approve form posted to the reject token.
    const swapped = await call(srv.port, 'POST', path(ta.reject), { headers: { cookie: ca.cookie }, form: ca.form });
    expect(swapped.status).toBe(403);

    expect((await status(a.proposalId)).status).toBe('pending');
    expect((await status(b.proposalId)).status).toBe('pending');
    expect(await decisions(a.proposalId)).toEqual([]);
    expect(await decisions(b.proposalId)).toEqual([]);

    // The reject token, used as meant, rejects A with the reason typed on the page.
    const done = await call(srv.port, 'POST', path(ta.reject), { headers: { cookie: cr.cookie }, form: { ...cr.form, reason: 'not during the launch' } });
    expect(done.status).toBe(200);
    const pa = await status(a.proposalId);
    expect(pa.status).toBe('rejected');
    expect(pa.decisionReason).toBe('not during the launch');
  });

  it('refuses expired, tampered and malformed tokens, and links of decided proposals, with clear pages', async () => {
    const s = await seedPending(d.db, { provider: 'vertex' });
    const expired = await links(s.proposalId, { now: new Date(Date.now() - 2 * 3_600_000), ttlMs: 3_600_000 });
    const g = await call(srv.port, 'GET', path(expired.approve));
    expect(g.status).toBe(410);
    expect(g.body).toContain('This link has expired');
    expect((await call(srv.port, 'POST', path(expired.approve), { form: { csrf: 'x', proposal_id: s.proposalId, decision: 'approve' } })).status).toBe(410);

    const live = await links(s.proposalId);
    const c = await confirm(live.approve);
    const last = live.approve.at(-1) === 'A' ? 'B' : 'A';
    const tampered = live.approve.slice(0, -1) + last;
    const tg = await call(srv.port, 'GET', path(tampered));
    expect(tg.status).toBe(404);
    expect(tg.body).toContain('This link is not valid');
    expect((await call(srv.port, 'POST', path(tampered), { headers: { cookie: c.cookie }, form: c.form })).status).toBe(404);
    for (const bad of [live.approve.slice(0, 20), `${live.approve}x`, '..%2f..%2fetc', '']) {
      const m = await call(srv.port, 'GET', path(bad));
      expect(m.status).toBe(400);
      expect(m.body).toContain('malformed');
    }
    expect((await status(s.proposalId)).status).toBe('pending');

    // Decided elsewhere (the console) before the link is used: the link says so and decides nothing.
    await decide(makeDeps(d.db), { proposalId: s.proposalId, decision: 'reject', reason: 'no', actor: { type: 'user', name: 'bob', via: 'console' } });
    const late = await call(srv.port, 'GET', path(live.approve));
    expect(late.status).toBe(409);
    expect(late.body).toContain('by bob');
    expect((await call(srv.port, 'POST', path(live.approve), { headers: { cookie: c.cookie }, form: c.form })).status).toBe(409);
    expect((await status(s.proposalId)).status).toBe('rejected');
    expect(await decisions(s.proposalId)).toEqual([{ kind: 'proposal.rejected', actor: 'bob' }]);

    // Expired by the scheduler: the link says no action was taken.
    const old = await seedPending(d.db, { provider: 'bedrock' });
    const ol = await links(old.proposalId);
    await expire(makeDeps(d.db, { clock: readingClock(() => new Date(Date.now() + 25 * 3_600_000)) }), { proposalId: old.proposalId });
    const gone = await call(srv.port, 'GET', path(ol.approve));
    expect(gone.status).toBe(409);
    expect(gone.body).toContain('No action taken');
    expect(gone.body).toContain('expired — no action taken');
  });
});
