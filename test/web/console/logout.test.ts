import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { ALICE } from '../../support/agent.js';
import { agentTest as it } from '../../support/fixtures.js';
import { cookies, hiddenField, request } from '../request.js';


/** Signs in through the form; the session cookie as a Cookie header. */
async function signIn(base: string): Promise<string> {
  const form = await request(base, 'GET', '/sre/login');
  const r = await request(base, 'POST', '/sre/login', { headers: { cookie: cookies(form) }, form: { csrf: hiddenField(form.body, 'csrf')!, next: '/sre', token: ALICE } });
  expect(r.status).toBe(303);
  const session = (r.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => c.startsWith('sre_session=') && c !== 'sre_session=');
  expect(session).toBeDefined();
  return session!;
}

const page = (base: string, cookie: string) => request(base, 'GET', '/sre', { headers: { cookie } });

describe('console sign-out ends the session on the server', () => {
  it('a copy of the cookie stops working at sign-out, for pages and for forms; another session is untouched', async ({ db, startAgent }) => {
    const a = await startAgent();
    const copied = await signIn(a.base);
    const other = await signIn(a.base);
    const before = await page(a.base, copied);
    expect(before.status).toBe(200);
    const csrf = hiddenField(before.body, 'csrf')!;

    const out = await request(a.base, 'POST', '/sre/logout', { headers: { cookie: copied }, form: { csrf } });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/sre/login');

    // The browser dropped its cookie; whoever copied it sends it anyway.
    const after = await page(a.base, copied);
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^\/sre\/login/);
    const pause = await request(a.base, 'POST', '/sre/pause', { headers: { cookie: copied }, form: { csrf, reason: 'with a stolen cookie' } });
    expect(pause.status).toBe(401);
    expect((await request(a.base, 'GET', '/v1/status', { headers: { authorization: `Bearer ${ALICE}` } })).body).toContain('"paused":false');

    expect((await page(a.base, other)).status).toBe(200);
    // The table keeps a hash of the session id, never the cookie.
    const rows = await queryRows<{ sid_hash: string }>(db.db, sql`select sid_hash from console_session_revocations`);
    expect(rows).toHaveLength(1);
    expect(copied).not.toContain(rows[0]!.sid_hash);
  });

  it('survives a restart: the revoked cookie stays refused while a live one still works', async ({ startAgent }) => {
    const first = await startAgent();
    const revoked = await signIn(first.base);
    const live = await signIn(first.base);
    const csrf = hiddenField((await page(first.base, revoked)).body, 'csrf')!;
    expect((await request(first.base, 'POST', '/sre/logout', { headers: { cookie: revoked }, form: { csrf } })).status).toBe(303);
    await first.stop();

    const restarted = await startAgent();
    expect((await page(restarted.base, live)).status).toBe(200);
    expect((await page(restarted.base, revoked)).status).toBe(303);
  });
});
