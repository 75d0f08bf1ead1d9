import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { loadConfig } from '../../src/config.js';
import { clientAddress, createAuthBrake, trustedList } from '../../src/web/brake.js';
import { ALICE, INGEST_TOKEN, startAgent } from '../support/agent.js';
import { freshPostgres } from '../support/db.js';
import { sample } from '../ship/support.js';
import { loggedAgent, WRONG } from './logged-agent.js';
import { cookies, hiddenField, request } from './request.js';

describe('repeated authentication failures from one address', () => {
  const a = loggedAgent();
  const { logs, api, ingest } = a;

  it('answers API bearers 429 with Retry-After after ten failures in a minute, and never locks out another address', async () => {
    for (let i = 0; i < 10; i++) expect((await api('127.0.0.2', WRONG)).status).toBe(401);
    const slowed = await api('127.0.0.2', WRONG);
    expect(slowed.status).toBe(429);
    const retry = Number(slowed.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(JSON.parse(slowed.body).error).toContain('try again in');
    // The right token is admitted even there: nobody's wrong tokens lock an operator out (issue 18, item 7).
    expect((await api('127.0.0.2', ALICE)).status).toBe(200);
    expect((await api('127.0.0.2', WRONG)).status).toBe(429);
    expect((await api('127.0.0.3', ALICE)).status).toBe(200);
    // No credential at all is no guess: it is answered 401 as before, and counts nothing.
    expect((await request(a.base, 'GET', '/v1/proposals', { from: '127.0.0.3' })).status).toBe(401);
  });

  it('slows the ingest token and console tokens the same way, per address', async () => {
    for (let i = 0; i < 10; i++) expect((await ingest('127.0.0.4', WRONG)).status).toBe(401);
    expect((await ingest('127.0.0.4', WRONG)).status).toBe(429);
    expect((await ingest('127.0.0.4', INGEST_TOKEN)).status).toBe(202);
    expect((await ingest('127.0.0.5', INGEST_TOKEN)).status).toBe(202);

    const form = await request(a.base, 'GET', '/sre/login', { from: '127.0.0.6' });
    const signIn = (from: string, token: string) =>
      request(a.base, 'POST', '/sre/login', { from, headers: { cookie: cookies(form) }, form: { csrf: hiddenField(form.body, 'csrf')!, next: '/sre', token } });
    for (let i = 0; i < 10; i++) expect((await signIn('127.0.0.6', WRONG)).status).toBe(401);
    const slowed = await signIn('127.0.0.6', WRONG);
    expect(slowed.status).toBe(429);
    expect(slowed.headers['retry-after']).toMatch(/^\d+$/);
    expect(slowed.body).toContain('Wait');
    expect((await signIn('127.0.0.6', ALICE)).status).toBe(303);
    expect((await signIn('127.0.0.7', ALICE)).status).toBe(303);
  });

  it('counts refusals and throttles in /metrics and logs the address, never the token', async () => {
    const text = (await request(a.base, 'GET', '/metrics')).body;
    expect(sample(text, 'sre_auth_failures_total', { surface: 'api', outcome: 'refused' })).toBe(10);
    expect(sample(text, 'sre_auth_failures_total', { surface: 'api', outcome: 'throttled' })).toBe(2);
    expect(sample(text, 'sre_auth_failures_total', { surface: 'ingest', outcome: 'refused' })).toBe(10);
    expect(sample(text, 'sre_auth_failures_total', { surface: 'console', outcome: 'refused' })).toBe(10);
    expect(sample(text, 'sre_auth_failures_total', { surface: 'console', outcome: 'throttled' })).toBe(1);
    expect(logs()).toContain('repeated authentication failures from one address');
    expect(logs()).toContain('"address":"127.0.0.2"');
    expect(logs()).not.toContain('SECRET');
    expect(logs()).not.toContain(ALICE);
  });

  it('refuses a bearer in a query string unchecked, saying where it belongs', async () => {
    const r = await request(a.base, 'GET', `/v1/proposals?access_token=${ALICE}`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toContain('Authorization: Bearer');
    expect(r.body).not.toContain(ALICE);
    expect(logs()).not.toContain(ALICE);
  });
});

describe('the brake window', () => {
  it('lets an address try again once its oldest failure is a minute old', () => {
    let now = 1_000_000;
    const brake = createAuthBrake({ now: () => now, logger: pino({ level: 'silent' }) });
    for (let i = 0; i < 10; i++) {
      expect(brake.retryAfter('a', 'api')).toBe(0);
      brake.fail('a', 'api');
      now += 1_000;
    }
    expect(brake.retryAfter('a', 'api')).toBe(50);
    expect(brake.retryAfter('b', 'api')).toBe(0);
    now += 50_000;
    expect(brake.retryAfter('a', 'api')).toBe(0);
    // One more failure while nine are still in the window: slowed again until the next one ages out.
    brake.fail('a', 'api');
    expect(brake.retryAfter('a', 'api')).toBe(1);
  });

  it('remembers a bounded number of addresses', () => {
    const brake = createAuthBrake({ now: () => 0, logger: pino({ level: 'silent' }), maxAddresses: 100, limit: 1 });
    for (let i = 0; i < 1_000; i++) brake.fail(`10.0.${i >> 8}.${i & 255}`, 'api');
    expect(brake.retryAfter('10.0.3.231', 'api')).toBeGreaterThan(0);
    expect(brake.retryAfter('10.0.0.0', 'api')).toBe(0);
  });
});

describe('behind a reverse proxy (SRE_TRUSTED_PROXIES)', () => {
  const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;

  it('believes X-Forwarded-For only from a trusted proxy, and only its rightmost untrusted hop', () => {
    const trusted = trustedList(['10.0.0.0/8', 'fd00::1']);
    expect(clientAddress(req('::ffff:10.0.0.7', '6.6.6.6, 203.0.113.9'), trusted)).toBe('203.0.113.9');
    expect(clientAddress(req('10.0.0.7', '203.0.113.9, 10.0.0.8'), trusted)).toBe('203.0.113.9');
    expect(clientAddress(req('fd00::1', '2001:db8::5'), trusted)).toBe('2001:db8::5');
    // Anyone else's X-Forwarded-For is whatever they chose to send.
    expect(clientAddress(req('198.51.100.4', '203.0.113.9'), trusted)).toBe('198.51.100.4');
    expect(clientAddress(req('::ffff:10.0.0.7', '203.0.113.9'))).toBe('10.0.0.7');
    expect(clientAddress(req('10.0.0.7'), trusted)).toBe('10.0.0.7');
  });

  it('refuses entries that are not addresses or ranges, naming them', () => {
    expect(() => loadConfig({ SRE_TRUSTED_PROXIES: '10.0.0.0/8,proxy.internal,10.0.0.0/33' })).toThrow(/"proxy\.internal" is neither[\s\S]*"10\.0\.0\.0\/33"/);
    expect(loadConfig({ SRE_TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8' }).http.trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8']);
  });

  it('slows one client of the proxy without holding up the others', async () => {
    const d = await freshPostgres();
    const a = await startAgent(d, { SRE_TRUSTED_PROXIES: '127.0.0.8' });
    try {
      const via = (client: string, token: string) => request(a.base, 'GET', '/v1/proposals', { from: '127.0.0.8', headers: { 'x-forwarded-for': client, authorization: `Bearer ${token}` } });
      for (let i = 0; i < 10; i++) expect((await via('198.51.100.1', WRONG)).status).toBe(401);
      expect((await via('198.51.100.1', WRONG)).status).toBe(429);
      expect((await via('198.51.100.1', ALICE)).status).toBe(200);
      expect((await via('198.51.100.2', ALICE)).status).toBe(200);
    } finally {
      await a.stop();
      await d.dispose();
    }
  });
});
