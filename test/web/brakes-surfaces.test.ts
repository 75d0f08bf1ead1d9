import type { IncomingMessage } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { issueDecisionLinks } from '../../src/notify/links.js';
import { bucketAddress, createAuthBrake } from '../../src/web/brake.js';
import { routeDecideLink } from '../../src/web/decide-links.js';
import { PUBLIC_BASE_URL, makeDeps, seedPending } from '../notify/fixtures.js';
import { ALICE, INGEST_TOKEN } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { call, serve } from './console/client.js';
import { loggedAgent, WRONG } from './logged-agent.js';
import { capturingLogger, cookies, hiddenField, request } from './request.js';

describe('brakes per surface: wrong tokens never lock out the right ones', () => {
  const a = loggedAgent();
  const { logs, api, ingest } = a;

  it('ten wrong bearers slow only that surface: the same address still gets 401 (not 429) on ingest and console sign-in', async () => {
    for (let i = 0; i < 10; i++) expect((await api('127.0.0.20', WRONG)).status).toBe(401);
    expect((await api('127.0.0.20', WRONG)).status).toBe(429);
    expect((await ingest('127.0.0.20', WRONG)).status).toBe(401);
    const form = await request(a.base, 'GET', '/sre/login', { from: '127.0.0.20' });
    const signIn = await request(a.base, 'POST', '/sre/login', { from: '127.0.0.20', headers: { cookie: cookies(form) }, form: { csrf: hiddenField(form.body, 'csrf')!, next: '/sre', token: WRONG } });
    expect(signIn.status).toBe(401);
  });

  it('a right token is admitted on a slowed bucket: the ingest token, and the kill switch for a valid operator', async () => {
    for (let i = 0; i < 12; i++) await ingest('127.0.0.21', WRONG);
    expect((await ingest('127.0.0.21', WRONG)).status).toBe(429);
    expect((await ingest('127.0.0.21', INGEST_TOKEN)).status).toBe(202);

    for (let i = 0; i < 12; i++) await api('127.0.0.21', WRONG);
    const pause = await request(a.base, 'POST', '/v1/pause', { from: '127.0.0.21', headers: { authorization: `Bearer ${ALICE}` }, json: { reason: 'under attack, still in control' } });
    expect(pause.status).toBe(200);
    expect(JSON.parse(pause.body)).toMatchObject({ paused: true, paused_by: 'alice' });
    const resume = await request(a.base, 'POST', '/v1/resume', { from: '127.0.0.21', headers: { authorization: `Bearer ${ALICE}` }, json: { reason: 'ok' } });
    expect(resume.status).toBe(200);
  });

  it('X-Forwarded-For from a peer not in SRE_TRUSTED_PROXIES is warned about once per peer, never echoing the header', async () => {
    const spoof = (from: string, xff: string) => request(a.base, 'GET', '/v1/proposals', { from, headers: { 'x-forwarded-for': xff, authorization: `Bearer ${WRONG}` } });
    await spoof('127.0.0.22', '203.0.113.77-SPOOFED');
    await spoof('127.0.0.22', '203.0.113.78');
    await spoof('127.0.0.23', '203.0.113.79');
    const warnings = logs().split('\n').filter((l) => l.includes('not in SRE_TRUSTED_PROXIES'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('"peer":"127.0.0.22"');
    expect(warnings[1]).toContain('"peer":"127.0.0.23"');
    expect(logs()).not.toContain('SPOOFED');
    // The spoofed hop was not believed: the failures counted against the peer.
    for (let i = 0; i < 10; i++) await spoof('127.0.0.22', `198.51.100.${i}`);
    expect((await spoof('127.0.0.22', '198.51.100.200')).status).toBe(429);
  });
});

describe('the brake itself', () => {
  const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;

  it('counts IPv6 per /64: another address of the same /64 is slowed, the next /64 is not', () => {
    expect(bucketAddress('2001:db8:1:2::a')).toBe('2001:db8:1:2::/64');
    expect(bucketAddress('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(bucketAddress('::1')).toBe('0:0:0:0::/64');
    expect(bucketAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(bucketAddress('203.0.113.9')).toBe('203.0.113.9');
    const brake = createAuthBrake({ now: () => 0, logger: pino({ level: 'silent' }) });
    const one = brake.address(req('2001:db8:1:2::a'));
    for (let i = 0; i < 10; i++) brake.fail(one, 'api');
    expect(brake.retryAfter(brake.address(req('2001:db8:1:2:dead:beef:0:1')), 'api')).toBeGreaterThan(0);
    expect(brake.retryAfter(brake.address(req('2001:db8:1:3::a')), 'api')).toBe(0);
    expect(brake.retryAfter(one, 'ingest')).toBe(0);
  });

  it('rate-limits the untrusted X-Forwarded-For warning across many peers', () => {
    const cap = capturingLogger();
    let now = 0;
    const brake = createAuthBrake({ now: () => now, logger: cap.logger });
    for (let i = 0; i < 50; i++) brake.address(req(`192.0.2.${i}`, '203.0.113.1'));
    expect(cap.text().split('\n').filter((l) => l.includes('SRE_TRUSTED_PROXIES')).length).toBe(10);
    now += 61_000;
    for (let i = 0; i < 50; i++) brake.address(req(`192.0.2.${i}`, '203.0.113.1'));
    // Peers already warned about stay quiet; the next window warns about ten more.
    expect(cap.text().split('\n').filter((l) => l.includes('SRE_TRUSTED_PROXIES')).length).toBe(20);
    // From a trusted proxy, nothing is said.
    const quiet = capturingLogger();
    const trusted = createAuthBrake({ now: () => 0, logger: quiet.logger, trustedProxies: ['192.0.2.0/24'] });
    trusted.address(req('192.0.2.1', '203.0.113.1'));
    expect(quiet.text()).toBe('');
  });
});

describe('email decision links have their own bucket', () => {
  let d: TestDatabase;
  let srv: Awaited<ReturnType<typeof serve>>;
  const SECRET = 'link-secret-for-tests-0123456789';
  beforeAll(async () => {
    d = await freshPostgres();
    const deps = makeDeps(d.db, { clock: systemClock });
    const brake = createAuthBrake({ now: () => Date.now(), logger: pino({ level: 'silent' }) });
    srv = await serve((req, res, url) => routeDecideLink(req, res, url, { deps, linkSecret: SECRET, publicBaseUrl: PUBLIC_BASE_URL, brake }));
  });
  afterAll(async () => {
    await srv.close();
    await d.dispose();
  });

  it('guessed links are slowed (429 with Retry-After); a real link still opens', async () => {
    const s = await seedPending(d.db);
    const t = await issueDecisionLinks(d.db, { linkSecret: SECRET, proposalId: s.proposalId, recipient: 'oncall@example.com', now: new Date(), ttlMs: 3_600_000 });
    const forged = `${t.approve.slice(0, -4)}AAAA`;
    for (let i = 0; i < 10; i++) expect((await call(srv.port, 'GET', `/sre/decide/${forged}`)).status).toBeLessThan(429);
    const slowed = await call(srv.port, 'GET', `/sre/decide/${forged}`);
    expect(slowed.status).toBe(429);
    expect(slowed.headers['retry-after']).toMatch(/^\d+$/);
    expect((await call(srv.port, 'GET', `/sre/decide/${t.approve}`)).status).toBe(200);
  });
});
