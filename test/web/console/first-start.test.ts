import { createServer, type AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { ALICE, INGEST_TOKEN, post, startAgent, unhealthy, type RunningAgent } from '../../support/agent.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { capturingLogger, cookies, hiddenField, request } from '../request.js';

const BASE_URL = 'http://localhost:8080';
const NO_TOKENS = { SRE_API_TOKENS: '', PUBLIC_BASE_URL: BASE_URL };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

function linkFrom(logs: string): URL {
  const m = /console: open (http:\/\/\S+\/sre\/login\?token=[A-Za-z0-9_-]+)/.exec(logs);
  if (!m) throw new Error(`no sign-in link in the logs:\n${logs}`);
  return new URL(m[1]!);
}

describe('the console on a first start (no SRE_API_TOKENS)', () => {
  let d: TestDatabase;
  const running: RunningAgent[] = [];
  beforeEach(async () => {
    d = await freshPostgres();
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    await d.dispose();
  });

  async function start(env: Record<string, string> = NO_TOKENS) {
    const cap = capturingLogger();
    const r = await startAgent(d, env, { logger: cap.logger });
    running.push(r);
    return { ...r, logs: cap.text };
  }

  it('prints a sign-in link once; opening it signs in as local, drops the token from the address, and the token lands nowhere else', async () => {
    const a = await start();
    const link = linkFrom(a.logs());
    expect(link.origin).toBe(BASE_URL);
    const token = link.searchParams.get('token')!;
    // At least 128 bits of randomness: 24 bytes as base64url.
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);

    // The agent's bare address leads to the console, which asks for a sign-in.
    const root = await request(a.base, 'GET', '/');
    expect([root.status, root.headers.location]).toEqual([303, '/sre']);
    expect((await request(a.base, 'GET', '/sre')).headers.location).toBe('/sre/login?next=%2Fsre');

    const opened = await request(a.base, 'GET', `${link.pathname}${link.search}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/sre');
    const jar = cookies(opened);
    expect(jar).toContain('sre_session=');
    const front = await request(a.base, 'GET', '/sre', { headers: { cookie: jar } });
    expect(front.status).toBe(200);
    expect(front.body).toContain('local');

    // The operator `local` decides, and the trail records that name.
    expect((await post(a.base, '/v1/events', unhealthy('mistral'), INGEST_TOKEN)).status).toBe(202);
    await a.agent.tick();
    const [p] = await queryRows<{ id: string }>(d.db, sql`select id from proposals where status = 'pending'`);
    const page = await request(a.base, 'GET', `/sre/proposals/${p!.id}`, { headers: { cookie: jar } });
    const decided = await request(a.base, 'POST', `/sre/proposals/${p!.id}/decision`, { headers: { cookie: jar }, form: { decision: 'reject', reason: 'demo', csrf: hiddenField(page.body, 'csrf')! } });
    expect(decided.status).toBe(303);
    const [row] = await queryRows<{ decided_by: string }>(d.db, sql`select decided_by from proposals where id = ${p!.id}`);
    expect(row!.decided_by).toBe('local');

    const trail = await queryRows<{ t: string }>(d.db, sql`select string_agg(payload::text || actor, ' ') as t from sre_actions`);
    expect(trail[0]!.t).not.toContain(token);
    expect(a.logs().split(token).length - 1).toBe(1);
  });

  it('refuses a link from before a restart with a page that says where the new one is', async () => {
    const first = await start();
    const old = linkFrom(first.logs());
    const session = cookies(await request(first.base, 'GET', `${old.pathname}${old.search}`));
    await running.pop()!.stop();

    const second = await start();
    expect(linkFrom(second.logs()).searchParams.get('token')).not.toBe(old.searchParams.get('token'));
    const reused = await request(second.base, 'GET', `${old.pathname}${old.search}`);
    expect(reused.status).toBe(401);
    expect(reused.body).toContain('first log lines');
    expect(reused.headers['set-cookie']?.some((c) => c.startsWith('sre_session=') && !c.startsWith('sre_session=;'))).toBeFalsy();
    // The old session ended with the process too.
    expect((await request(second.base, 'GET', '/sre', { headers: { cookie: session } })).status).toBe(303);
  });

  it('names both origins when a form comes from another one, and logs them', async () => {
    const a = await start();
    const form = await request(a.base, 'GET', '/sre/login');
    const seen = `http://127.0.0.1:${new URL(a.base).port}`;
    const r = await request(a.base, 'POST', '/sre/login', { headers: { cookie: cookies(form), origin: seen }, form: { csrf: hiddenField(form.body, 'csrf')!, next: '/sre', token: 'whatever-0123456789' } });
    expect(r.status).toBe(403);
    expect(r.body).toContain(seen);
    expect(r.body).toContain(BASE_URL);
    expect(r.body).toContain('PUBLIC_BASE_URL');
    expect(a.logs()).toContain('console form sent from another origin refused');
    expect(a.logs()).toContain(seen);
  });

  it('takes localhost and 127.0.0.1 on the agent\'s own port as the same origin, and nothing else', async () => {
    // PUBLIC_BASE_URL unset: it follows PORT.
    const port = String(await freePort());
    const a = await start({ SRE_API_TOKENS: '', PORT: port });
    const link = linkFrom(a.logs());
    expect(link.origin).toBe(`http://localhost:${port}`);
    const jar = cookies(await request(a.base, 'GET', `${link.pathname}${link.search}`));
    const logoutWith = async (origin: string) => {
      const front = await request(a.base, 'GET', '/sre', { headers: { cookie: jar } });
      return request(a.base, 'POST', '/sre/logout', { headers: { cookie: jar, origin }, form: { csrf: hiddenField(front.body, 'csrf')! } });
    };
    expect((await logoutWith('http://evil.example')).status).toBe(403);
    expect((await logoutWith(`http://127.0.0.1:${Number(port) + 1}`)).status).toBe(403);
    expect((await logoutWith(`https://127.0.0.1:${port}`)).status).toBe(403);
    expect((await logoutWith(`http://127.0.0.1:${port}`)).status).toBe(303);
  });

  it('refuses a console reached through another Host, saying where it lives', async () => {
    const a = await start();
    const r = await request(a.base, 'GET', '/sre/login', { headers: { host: 'rebind.attacker.example' } });
    expect(r.status).toBe(421);
    expect(r.body).toContain(`${BASE_URL}/sre`);
    expect(r.body).not.toContain('name="token"');
    // Its own name and loopback addresses are fine.
    expect((await request(a.base, 'GET', '/sre/login', { headers: { host: 'localhost:8080' } })).status).toBe(200);
  });

  it('with SRE_API_TOKENS, prints no link and refuses a token in the address without signing in', async () => {
    const a = await start({ PUBLIC_BASE_URL: BASE_URL });
    expect(a.logs()).not.toContain('/sre/login?token=');
    const r = await request(a.base, 'GET', `/sre/login?token=${ALICE}`);
    expect(r.status).toBe(400);
    expect(r.body).toContain('Tokens do not belong in addresses');
    expect(r.body).not.toContain(ALICE);
    expect(cookies(r)).not.toContain('sre_session=');
    expect(a.logs()).not.toContain(ALICE);
  });
});
