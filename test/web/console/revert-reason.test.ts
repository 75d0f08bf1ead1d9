import { expect } from 'vitest';
import { ADMIN, adminApiStandIn, executedByTwo } from '../../support/admin-api.js';
import { ALICE, BOB, get } from '../../support/agent.js';
import { agentTest as it } from '../../support/fixtures.js';
import { cookies, hiddenField, request } from '../request.js';


it('console: reverting an action two people approved asks for a reason; without one nothing changes, with one it reverts', async ({ msw, startAgent }) => {
  const applied = adminApiStandIn(msw);
  const a = await startAgent({ ADMIN_API_URL: ADMIN, ADMIN_API_TOKEN: 'admin-secret', SRE_TWO_PERSON_SCORE: '20' });
  const p = await executedByTwo(a);
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
