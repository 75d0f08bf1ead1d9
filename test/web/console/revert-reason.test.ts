import { http, HttpResponse } from 'msw';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ALICE, BOB, INGEST_TOKEN, get, post, startAgent, unhealthy, type RunningAgent } from '../../support/agent.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { useMsw } from '../../support/msw.js';
import { cookies, hiddenField, request } from '../request.js';

const ADMIN = 'https://admin.scutum.test';
const server = useMsw();
let db: TestDatabase;
let a: RunningAgent | undefined;
beforeEach(async () => {
  db = await freshPostgres();
});
afterEach(async () => {
  await a?.stop();
  a = undefined;
  await db.dispose();
});

it('console: reverting an action two people approved asks for a reason; without one nothing changes, with one it reverts', async () => {
  const applied: string[] = [];
  server.use(
    http.get(`${ADMIN}/v1/providers/:p`, ({ params }) => HttpResponse.json({ name: params.p, healthy: false })),
    http.get(`${ADMIN}/v1/model-groups/:g`, ({ params }) => HttpResponse.json({ name: params.g, provider: 'openai', providers: [{ name: 'openai', healthy: false }, { name: 'azure-openai', healthy: true }] })),
    http.all(`${ADMIN}/v1/*`, ({ request: r }) => {
      applied.push(new URL(r.url).pathname);
      return HttpResponse.json({ ok: true });
    }),
  );
  a = await startAgent(db, { ADMIN_API_URL: ADMIN, ADMIN_API_TOKEN: 'admin-secret', SRE_TWO_PERSON_SCORE: '20' });
  expect((await post(a.base, '/v1/events', unhealthy('openai', { requests: 60, window_seconds: 60 }), INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  const [p] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
  await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE);
  expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, BOB)).body).toMatchObject({ status: 'succeeded' });
  const before = applied.length;

  const login = await request(a.base, 'GET', '/sre/login');
  const signedIn = await request(a.base, 'POST', '/sre/login', { headers: { cookie: cookies(login) }, form: { csrf: hiddenField(login.body, 'csrf')!, next: '/sre', token: ALICE } });
  const cookie = cookies(signedIn);
  const pageOf = await request(a.base, 'GET', `/sre/proposals/${p.id}`, { headers: { cookie } });
  expect(pageOf.body).toContain(`action="/sre/proposals/${p.id}/revert"`);
  expect(pageOf.body).toMatch(/name="reason" maxlength="500" required/);
  const csrf = hiddenField(pageOf.body, 'csrf')!;

  const bare = await request(a.base, 'POST', `/sre/proposals/${p.id}/revert`, { headers: { cookie }, form: { csrf, reason: ' ' } });
  expect(bare.status).toBe(400);
  expect(bare.body).toContain('needs a reason');
  expect(applied.length).toBe(before);

  const done = await request(a.base, 'POST', `/sre/proposals/${p.id}/revert`, { headers: { cookie }, form: { csrf, reason: 'provider is back' } });
  expect(done.status).toBe(303);
  expect(applied.length).toBe(before + 1);
  expect((await get(a.base, `/v1/proposals/${p.id}`, BOB)).body.reverted_by).toBe('alice');
  expect((await request(a.base, 'GET', `/sre/proposals/${p.id}`, { headers: { cookie } })).body).not.toContain('/revert"');
});
