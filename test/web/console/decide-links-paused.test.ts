import { systemClock } from '../../../src/clock.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { schema } from '../../../src/db/client.js';
import { issueDecisionLinks } from '../../../src/notify/links.js';
import { pause } from '../../../src/proposals/pause.js';
import { resume } from '../../../src/proposals/resume.js';
import { routeDecideLink } from '../../../src/web/decide-links.js';
import { PUBLIC_BASE_URL, makeDeps, seedPending } from '../../notify/fixtures.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { call, cookiesFrom, hidden, serve } from './client.js';

const SECRET = 'link-secret-for-tests-0123456789';
let d: TestDatabase;
let srv: Awaited<ReturnType<typeof serve>>;
let deps: ReturnType<typeof makeDeps>;
beforeAll(async () => {
  d = await freshPostgres();
  deps = makeDeps(d.db, { clock: systemClock});
  srv = await serve((req, res, url) => routeDecideLink(req, res, url, { deps, linkSecret: SECRET, publicBaseUrl: PUBLIC_BASE_URL }));
});
afterAll(async () => {
  await srv.close();
  await d.dispose();
});

it('an email-link approval while paused is answered 423, changes nothing, and the link works again after the resume', async () => {
  const s = await seedPending(d.db);
  const t = await issueDecisionLinks(d.db, { linkSecret: SECRET, proposalId: s.proposalId, recipient: 'oncall@example.com', now: new Date(), ttlMs: 3_600_000 });
  await pause(deps, { reason: 'gateway migration', actor: { type: 'user', name: 'alice', via: 'api' } });
  const submit = async () => {
    const page = await call(srv.port, 'GET', `/sre/decide/${t.approve}`);
    const form = { csrf: hidden(page.body, 'csrf') ?? '', proposal_id: hidden(page.body, 'proposal_id') ?? '', decision: hidden(page.body, 'decision') ?? '' };
    return call(srv.port, 'POST', `/sre/decide/${t.approve}`, { headers: { cookie: cookiesFrom(page), origin: PUBLIC_BASE_URL }, form });
  };
  const refused = await submit();
  expect(refused.status).toBe(423);
  expect(refused.body).toContain('paused by alice');
  const [p] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
  expect(p!.status).toBe('pending');
  await resume(deps, { reason: 'fixed', actor: { type: 'user', name: 'alice', via: 'api' } });
  const ok = await submit();
  expect(ok.status).toBe(200);
  const [after] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
  expect(after!.status).toBe('succeeded');
});
