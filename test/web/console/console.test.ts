import { readingClock } from '../../support/clock.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../../src/audit/append.js';
import { schema } from '../../../src/db/client.js';
import { expire } from '../../../src/proposals/expire.js';
import { createConsole } from '../../../src/web/console/index.js';
import { PUBLIC_BASE_URL, makeDeps, seedPending } from '../../notify/fixtures.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { call, cookiesFrom, hidden, serve } from './client.js';

const TOKENS = [{ name: 'alice', token: 'alice-token-0123456789' }];

describe('console over HTTP', () => {
  let d: TestDatabase;
  let srv: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    d = await freshPostgres();
    const c = createConsole({ deps: makeDeps(d.db), apiTokens: TOKENS, sessionSecret: 'session-secret-for-tests', publicBaseUrl: PUBLIC_BASE_URL });
    srv = await serve((req, res, url) => c.handle(req, res, url));
  });
  afterAll(async () => {
    await srv.close();
    await d.dispose();
  });

  async function signIn(token: string) {
    const form = await call(srv.port, 'GET', '/sre/login');
    const jar = cookiesFrom(form);
    const res = await call(srv.port, 'POST', '/sre/login', { headers: { cookie: jar }, form: { csrf: hidden(form.body, 'csrf')!, next: '/sre', token } });
    return { res, jar: cookiesFrom(res, jar) };
  }

  it('sends anonymous visitors to sign in, refuses a wrong token, and sets a hardened session cookie for a right one', async () => {
    const anon = await call(srv.port, 'GET', '/sre/audit');
    expect(anon.status).toBe(303);
    expect(anon.headers.location).toBe('/sre/login?next=%2Fsre%2Faudit');
    expect((await signIn('wrong-token-0123456789')).res.status).toBe(401);
    const { res } = await signIn(TOKENS[0]!.token);
    expect(res.status).toBe(303);
    const set = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('sre_session='))!;
    expect(set).toMatch(/HttpOnly; SameSite=Strict; Secure/);
    // A forged or tampered session is no session.
    const forged = await call(srv.port, 'GET', '/sre', { headers: { cookie: `sre_session=${Buffer.from('{"u":"alice","e":9999999999999,"n":"x"}').toString('base64url')}.AAAA` } });
    expect(forged.status).toBe(303);
  });

  it('a decision needs the CSRF token of the session; with it, it decides once as the operator', async () => {
    const s = await seedPending(d.db, { reasoning: 'evil <script>alert(1)</script> <img src=x onerror=alert(2)>' });
    const { jar } = await signIn(TOKENS[0]!.token);
    const list = await call(srv.port, 'GET', '/sre', { headers: { cookie: jar } });
    expect(list.status).toBe(200);
    expect(list.body).toContain('name="viewport"');
    expect(list.body).not.toContain('<script>');
    expect(list.body).not.toContain('<img src=x');
    expect(list.body).toContain('evil &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;');
    const csrf = hidden(list.body, 'csrf')!;
    const path = `/sre/proposals/${s.proposalId}/decision`;
    expect((await call(srv.port, 'POST', path, { headers: { cookie: jar }, form: { decision: 'approve' } })).status).toBe(403);
    expect((await call(srv.port, 'POST', path, { headers: { cookie: jar, origin: 'https://evil.example' }, form: { decision: 'approve', csrf } })).status).toBe(403);
    expect((await call(srv.port, 'POST', path, { form: { decision: 'approve', csrf } })).status).toBe(401);
    const [before] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
    expect(before!.status).toBe('pending');

    const ok = await call(srv.port, 'POST', path, { headers: { cookie: jar, origin: PUBLIC_BASE_URL }, form: { decision: 'reject', reason: 'not now', csrf } });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`/sre/proposals/${s.proposalId}?done=rejected`);
    const again = await call(srv.port, 'POST', path, { headers: { cookie: jar }, form: { decision: 'approve', csrf } });
    expect(again.status).toBe(409);
    expect(again.body).toContain('Already decided by alice');
    const [after] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
    expect(after).toMatchObject({ status: 'rejected', decidedBy: 'alice', decidedVia: 'console', decisionReason: 'not now' });
  });

  it('shows undeliverable notifications, and an expired proposal says no action was taken', async () => {
    const s = await seedPending(d.db, { provider: 'mistral' });
    await d.db.insert(schema.outbox).values({ channel: 'webhook', kind: 'proposal.created', incidentId: s.incidentId, proposalId: s.proposalId, payload: {}, status: 'dead', attempts: 8, lastError: 'webhook 0 answered 410 <b>gone</b>' });
    await expire(makeDeps(d.db, { clock: readingClock(() => new Date(Date.now() + 25 * 3_600_000)) }), { proposalId: s.proposalId });
    const { jar } = await signIn(TOKENS[0]!.token);
    const front = await call(srv.port, 'GET', '/sre', { headers: { cookie: jar } });
    expect(front.body).toContain('1 notification could not be delivered');
    const dead = await call(srv.port, 'GET', '/sre/notifications', { headers: { cookie: jar } });
    expect(dead.body).toContain('webhook 0 answered 410 &lt;b&gt;gone&lt;/b&gt;');
    expect(dead.body).toContain(`/sre/proposals/${s.proposalId}`);
    const page = await call(srv.port, 'GET', `/sre/proposals/${s.proposalId}`, { headers: { cookie: jar } });
    expect(page.body).toContain('expired — no action taken');
    expect(page.body).not.toContain('name="decision"');
  });

  it('filters the audit log and exports exactly the filtered rows as CSV', async () => {
    await d.db.transaction((tx) =>
      appendAudit(
        tx,
        { kind: 'incident.opened', actor: { type: 'system', name: 'ingest' }, incidentId: 'inc_filter_a', payload: { key: 'a', type: 't', subject: '=cmd()' } },
        { kind: 'incident.opened', actor: { type: 'system', name: 'ingest' }, incidentId: 'inc_filter_b', payload: { key: 'b', type: 't', subject: 'b' } },
      ),
    );
    const { jar } = await signIn(TOKENS[0]!.token);
    const page = await call(srv.port, 'GET', '/sre/audit?incident=inc_filter_a&kind=incident.opened', { headers: { cookie: jar } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('inc_filter_a');
    expect(page.body).not.toContain('inc_filter_b');
    expect(page.body).toContain('href="/sre/audit.csv?kind=incident.opened&amp;incident=inc_filter_a"');
    const csv = await call(srv.port, 'GET', '/sre/audit.csv?kind=incident.opened&incident=inc_filter_a', { headers: { cookie: jar } });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('inc_filter_a');
    expect((await call(srv.port, 'GET', '/sre/audit?since=yesterday', { headers: { cookie: jar } })).status).toBe(400);
    expect((await call(srv.port, 'GET', '/sre/audit.csv')).status).toBe(303);
  });
});
