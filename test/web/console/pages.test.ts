import { systemClock } from '../../../src/clock.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalView } from '../../../src/proposals/types.js';
import { createConsole } from '../../../src/web/console/index.js';
import { describeRow } from '../../../src/web/console/pages/timeline.js';
import { proposalPage } from '../../../src/web/console/pages/proposal.js';
import { relativeText } from '../../../src/web/console/pages/time.js';
import { createWebServer } from '../../../src/web/server.js';
import { PUBLIC_BASE_URL, makeDeps, silent } from '../../notify/fixtures.js';
import { freshPglite, freshPostgres, type TestDatabase } from '../../support/db.js';
import { call, cookiesFrom, hidden, serve } from './client.js';
import { seedConsole, XSS, type SeededConsole } from './seed.js';

const TOKENS = [{ name: 'alice', token: 'alice-token-0123456789' }];
const ESCAPED_XSS = '&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;';
const POLICY = { riskThreshold: 40, autoApprove: true, timeZone: 'UTC', criticalTeams: [] as string[], mode: 'live' as const, twoPersonScore: 75 };

/** The SRE Agent pages over HTTP on seeded data. Only reads: the clock is the database's (audit rows are timed by it), nothing is scored. */
describe('the SRE Agent pages over HTTP', () => {
  let d: TestDatabase;
  let seeded: SeededConsole;
  const servers: Awaited<ReturnType<typeof serve>>[] = [];
  let jar = '';
  let port = 0;

  async function consoleOn(opts: { pause?: { paused: boolean; by?: string; reason?: string; at?: string }; mode?: 'live' | 'shadow' } = {}) {
    const deps = makeDeps(d.db, { clock: systemClock, policy: { ...POLICY, mode: opts.mode ?? 'live' } });
    const c = createConsole({ deps, apiTokens: TOKENS, sessionSecret: 'session-secret-for-tests', publicBaseUrl: PUBLIC_BASE_URL, ...(opts.pause ? { pauseState: async () => opts.pause! } : {}) });
    const srv = await serve((req, res, url) => c.handle(req, res, url));
    servers.push(srv);
    return srv.port;
  }

  async function signIn(p: number) {
    const form = await call(p, 'GET', '/sre/login');
    const j = cookiesFrom(form);
    const res = await call(p, 'POST', '/sre/login', { headers: { cookie: j }, form: { csrf: hidden(form.body, 'csrf')!, next: '/sre', token: TOKENS[0]!.token } });
    return cookiesFrom(res, j);
  }
  const get = (path: string, p = port, cookie = jar) => call(p, 'GET', path, { headers: { cookie } });

  beforeAll(async () => {
    d = await freshPostgres();
    seeded = await seedConsole(d.db, new Date());
    port = await consoleOn();
    jar = await signIn(port);
  }, 60_000);
  afterAll(async () => {
    for (const s of servers) await s.close();
    await d.dispose();
  });

  it('the overview puts the riskiest pending decision first with its time left, and sums up open incidents and the last 24 h', async () => {
    const res = await get('/sre');
    expect(res.status).toBe(200);
    const body = res.body;
    const order = [...body.matchAll(/<article class="card decision" data-proposal="([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual([seeded.ids.openai!.proposalId, seeded.ids.anthropic!.proposalId]);
    expect(body).toMatch(/<time datetime="[^"]+Z" title="expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC" class="soon">(39|40) min left<\/time>/);
    expect(body).toMatch(/<time datetime="[^"]+" title="expires [^"]+">24 h left<\/time>/);
    expect(body).toContain('<strong>Approvals:</strong> 0 of 2');
    expect(body).toContain('<strong>Shadow mode:</strong>');
    expect(body).toMatch(new RegExp(`data-incident="${seeded.ids.reasoning!.incidentId}"[\\s\\S]*?reasoning, \\d+ (s|min) so far`));
    // Open incidents: 5 seeded open, closed ones are not listed.
    expect(body).toContain('Open incidents <span class="count">5</span>');
    expect(body).not.toContain(`data-incident="${seeded.ids.mistral!.incidentId}"`);
    // The last 24 h: one auto-execution, two executed and one failed, two verified, decisions per channel.
    expect(body).toMatch(/<dt>Executed<\/dt><dd>2<span class="sub bad-text">1 failed<\/span><\/dd>/);
    expect(body).toMatch(/<dt>Auto-executed<\/dt><dd>1<\/dd>/);
    expect(body).toMatch(/<dt>Expired<\/dt><dd>1<\/dd>/);
    expect(body).toMatch(/<dt>Verified<\/dt><dd>2 passed<\/dd>/);
    expect(body).toContain('<tr><th scope="row">Slack</th><td>1</td><td>0</td></tr>');
    expect(body).toContain('<tr><th scope="row">Console</th><td>0</td><td>1</td></tr>');
    expect(body).toContain('<tr><th scope="row">Auto (policy)</th><td>1</td><td>0</td></tr>');
    expect(body).toContain('<strong>running</strong>');
    // Everything an event or the model wrote is escaped.
    expect(body).not.toContain('<script>window.__pwned');
    expect(body).not.toContain('<img src=x');
    expect(body).toContain(`anthropic ${ESCAPED_XSS}`);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('the overview shows who paused the agent and the shadow mode when they hold', async () => {
    const p = await consoleOn({ pause: { paused: true, by: 'carol', reason: `db failover ${XSS}`, at: new Date(Date.now() - 5 * 60_000).toISOString() }, mode: 'shadow' });
    const body = (await get('/sre', p, await signIn(p))).body;
    expect(body).toMatch(/<div class="paused"><span class="k">Agent<\/span> <strong>paused<\/strong> by carol — db failover &lt;script&gt;[^]*?<time [^>]*>5 min ago<\/time>/);
    expect(body).toContain('<strong>shadow</strong> (never executes)');
  });

  it('the incidents list filters by status, type and time, and a bad filter is a 400 that names the choices and lists nothing', async () => {
    const ids = (body: string) => [...body.matchAll(/<tr data-incident="([^"]+)"/g)].map((m) => m[1]).sort();
    const all = await get('/sre/incidents?since=all');
    expect(ids(all.body)).toHaveLength(8);
    const closed = await get('/sre/incidents?status=closed&since=all');
    expect(ids(closed.body)).toEqual([seeded.ids.mistral!.incidentId, seeded.ids.sla!.incidentId, seeded.ids.cohere!.incidentId].sort());
    const budgets = await get('/sre/incidents?type=budget.exceeded');
    expect(ids(budgets.body)).toEqual([seeded.ids.budget!.incidentId, seeded.ids.reasoning!.incidentId].sort());
    expect(budgets.body).toContain('<option value="budget.exceeded" selected>');
    // Seen within the last hour: the older closed ones drop out.
    expect(ids((await get('/sre/incidents?since=1h')).body)).not.toContain(seeded.ids.mistral!.incidentId);
    const bad = await get('/sre/incidents?status=maybe&type=%3Cb%3E&since=forever');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Status must be one of open, closed, all.');
    expect(bad.body).toContain('Type must be all or one of provider.unhealthy, budget.exceeded, sla.violation, latency.spike.');
    expect(bad.body).toContain('Time must be one of 1h, 24h, 7d, 30d, all.');
    expect(ids(bad.body)).toEqual([]);
    expect((await call(port, 'GET', '/sre/incidents')).status).toBe(303);
    const head = await call(port, 'HEAD', '/sre/incidents', { headers: { cookie: jar } });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('the proposal page draws the risk, tells the timeline in words with each raw row behind a disclosure, and escapes both', async () => {
    const res = await get(`/sre/proposals/${seeded.ids.mistral!.proposalId}`);
    expect(res.status).toBe(200);
    const b = res.body;
    expect(b.match(/<svg class="bar" viewBox="0 0 100 10"/g)).toHaveLength(3);
    expect(b).toContain('<span class="delta">+40</span>');
    expect(b).toContain('above the auto-approve threshold (40): a human decides');
    expect(b).toContain('<strong>alice</strong> approved in Slack — “confirmed on the status page”');
    expect(b).toMatch(/admin-api answered 200 in \d+ ms/);
    expect(b).toContain('breaker restored: the provider is back in rotation');
    expect(b).toContain('executing: <code>POST /v1/providers/mistral/circuit-breaker</code>');
    expect(b).toContain('<strong>U0MALLORY</strong> was not allowed to decide: not in SRE_APPROVERS');
    expect(b).toContain('Approved by <strong>alice</strong> in Slack');
    expect(b).toContain('<strong>Verification:</strong> passed — error rate back under 2 %');
    expect(b.match(/<details class="raw">/g)?.length).toBe(b.match(/<li data-kind=/g)?.length);
    expect(b).toMatch(/<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">/);

    const hostile = (await get(`/sre/proposals/${seeded.ids.anthropic!.proposalId}`)).body;
    expect(hostile).not.toContain('<script>window');
    expect(hostile).toContain(`alice</strong> in the thread: “is bedrock warm? ${ESCAPED_XSS}”`);
    // The raw row is JSON inside <pre>, escaped as well.
    expect(hostile).toContain(`&quot;text&quot;: &quot;is bedrock warm? &lt;script&gt;`);
    expect(hostile).toContain('name="decision" value="approve"');

    const stale = (await get(`/sre/proposals/${seeded.ids.sla!.proposalId}`)).body;
    expect(stale).toContain('Rejected by <strong>bob</strong> in the console');
    expect(stale).toContain('superseded by a newer proposal');
    const older = [...stale.matchAll(/href="\/sre\/proposals\/([^"]+)">Page on-call/g)][0]![1]!;
    const olderPage = (await get(`/sre/proposals/${older}`)).body;
    expect(olderPage).toContain('<strong>Not executed:</strong> the situation changed — the incident went quiet before the decision');
    expect(olderPage).not.toContain('name="decision"');
    expect(olderPage).toContain(`Superseded by <a href="/sre/proposals/${seeded.ids.sla!.proposalId}">a newer proposal</a>: no action taken.`);
    expect((await get('/sre/proposals/prp_nope')).status).toBe(404);
  });

  it('mode, approvals, verification and a stale refusal from the proposal JSON are shown, escaped, when other steps set them', () => {
    const base = { id: 'prp_1', incident_id: 'inc_1', status: 'pending', action: 'circuit_break_provider', params: { provider: 'openai' }, target: 'provider:openai', risk_score: 82, risk_factors: [{ name: 'traffic', delta: 82, reason: `sheds <b>all</b>` }], route: 'gate', reasoning: 'r', reasoner: 'claude', fallback_reason: null, reversible: true, created_at: '2026-11-24T09:58:00.000Z', expires_at: '2026-11-24T10:30:00.000Z', decided_by: null, decided_via: null, decided_at: null, decision_reason: null, result: null, superseded_by: null, escalated_at: null, reverted_at: null, reverted_by: null, links: { console: '' },
      incident: { id: 'inc_1', key: 'k', type: 'provider.unhealthy', subject: 'openai', status: 'open', first_seen: '2026-11-24T09:50:00.000Z', last_seen: '2026-11-24T09:59:00.000Z', event_count: 9, latest: {}, slack_channel: null, slack_ts: null },
      mode: 'shadow', approvals: [{ by: 'alice (slack U1)', via: 'slack', at: '2026-11-24T09:59:00.000Z' }], verification: { status: 'failed', reason: 'errors <i>rose</i>', checked_at: '2026-11-24T09:59:30.000Z' }, stale_reason: 'the provider is healthy again <script>', approvals_required: 2, approval_progress: '1 of 2: alice (slack U1)' } satisfies ProposalView;
    const html = proposalPage({ user: 'u', csrf: 'c', now: new Date('2026-11-24T10:00:00Z'), policy: { threshold: 40, autoApprove: false, twoPersonScore: 75, mode: 'live' }, data: { proposal: base, timeline: [], others: [] } });
    expect(html).toContain('<strong>Shadow mode:</strong>');
    expect(html).toContain('<strong>Approvals:</strong> 1 of 2: alice');
    expect(html).toContain('<strong>Verification:</strong> failed — errors &lt;i&gt;rose&lt;/i&gt; (checked <time datetime="2026-11-24T09:59:30.000Z" title="2026-11-24 09:59:30 UTC">30 s ago</time>)');
    expect(html).toContain('the situation changed — the provider is healthy again &lt;script&gt;');
    expect(html).toContain('<span class="reason">sheds &lt;b&gt;all&lt;/b&gt;</span>');
    expect(html).toContain('at or above 75: two people must approve');
    expect(html).toContain('<time datetime="2026-11-24T10:30:00.000Z" title="expires 2026-11-24 10:30:00 UTC" class="soon">30 min left</time>');
  });

  it('kinds added by later steps still read as a sentence, and times read as people say them', () => {
    const row = (kind: string, payload: Record<string, unknown>, actorType = 'system', actor = 'system:agent') => ({ seq: 1, occurredAt: new Date(), source: 'sre-agent', kind, actorType, actor, incidentId: 'i', proposalId: 'p', payload });
    expect(String(describeRow(row('verification.failed', { reason: 'new events at the same severity' }), new Map()).text)).toBe('verification failed: new events at the same severity');
    expect(String(describeRow(row('agent.paused', { reason: 'db <failover>' }, 'user', 'carol'), new Map()).text)).toBe('agent paused by <strong>carol</strong>: db &lt;failover&gt;');
    const now = new Date('2026-11-24T10:00:00Z');
    expect(relativeText(new Date('2026-11-24T09:59:58Z'), now)).toBe('just now');
    expect(relativeText(new Date('2026-11-24T09:59:18Z'), now)).toBe('42 s ago');
    expect(relativeText(new Date('2026-11-24T08:45:00Z'), now)).toBe('1 h 15 min ago');
    expect(relativeText(new Date('2026-11-25T09:00:00Z'), now)).toBe('in 23 h');
    expect(relativeText(new Date('2026-11-21T10:00:00Z'), now)).toBe('3 d ago');
  });

  it('/ leads a person to the console; other methods on / are still a 404', async () => {
    const server = createWebServer({ deps: makeDeps(d.db), logger: silent, ingestToken: undefined, apiTokens: TOKENS, ready: async () => ({ ok: true, checks: {} }) });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const p = (server.address() as { port: number }).port;
    try {
      const root = await call(p, 'GET', '/');
      expect(root.status).toBe(303);
      expect(root.headers.location).toBe('/sre');
      expect((await call(p, 'POST', '/')).status).toBe(404);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('the SRE Agent pages on the embedded PGlite (what npm start serves)', () => {
  it('the overview, the incidents list and a proposal page answer with the same content', { timeout: 60_000 }, async () => {
    const d = await freshPglite();
    try {
      const seeded = await seedConsole(d.db, new Date());
      const c = createConsole({ deps: makeDeps(d.db, { clock: systemClock, policy: POLICY }), apiTokens: TOKENS, sessionSecret: 'session-secret-for-tests', publicBaseUrl: PUBLIC_BASE_URL });
      const srv = await serve((req, res, url) => c.handle(req, res, url));
      try {
        const form = await call(srv.port, 'GET', '/sre/login');
        const j = cookiesFrom(form);
        const jar = cookiesFrom(await call(srv.port, 'POST', '/sre/login', { headers: { cookie: j }, form: { csrf: hidden(form.body, 'csrf')!, next: '/sre', token: TOKENS[0]!.token } }), j);
        const overview = await call(srv.port, 'GET', '/sre', { headers: { cookie: jar } });
        expect(overview.status).toBe(200);
        expect([...overview.body.matchAll(/<article class="card decision" data-proposal="([^"]+)"/g)].map((m) => m[1])).toEqual([seeded.ids.openai!.proposalId, seeded.ids.anthropic!.proposalId]);
        expect(overview.body).toContain('<tr><th scope="row">Slack</th><td>1</td><td>0</td></tr>');
        expect(overview.body).toMatch(/<dt>Verified<\/dt><dd>2 passed<\/dd>/);
        const closed = await call(srv.port, 'GET', '/sre/incidents?status=closed&since=all', { headers: { cookie: jar } });
        expect(closed.body.match(/<tr data-incident=/g)).toHaveLength(3);
        const page = await call(srv.port, 'GET', `/sre/proposals/${seeded.ids.mistral!.proposalId}`, { headers: { cookie: jar } });
        expect(page.body).toContain('<strong>alice</strong> approved in Slack');
      } finally {
        await srv.close();
      }
    } finally {
      await d.dispose();
    }
  });
});
