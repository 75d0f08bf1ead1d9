import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../../src/db/client.js';
import { createConsole } from '../../../src/web/console/index.js';
import { PUBLIC_BASE_URL, makeDeps } from '../../notify/fixtures.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { call, cookiesFrom, hidden, serve } from './client.js';

const TOKENS = [{ name: 'alice', token: 'alice-token-0123456789' }];

describe('console: incidents still waiting for a proposal', () => {
  let d: TestDatabase;
  let srv: Awaited<ReturnType<typeof serve>>;
  const deps = () => makeDeps(d.db);
  beforeAll(async () => {
    d = await freshPostgres();
    const c = createConsole({ deps: deps(), apiTokens: TOKENS, sessionSecret: 'session-secret-for-tests', publicBaseUrl: PUBLIC_BASE_URL });
    srv = await serve((req, res, url) => c.handle(req, res, url));
  });
  afterAll(async () => {
    await srv.close();
    await d.dispose();
  });

  it('lists them on the pending page with how long reasoning has taken, escaped', async () => {
    const now = deps().now();
    const incident = (id: string, subject: string, agoMs: number) => ({
      id,
      key: `provider:${id}`,
      type: 'provider.unhealthy',
      subject,
      firstSeen: now,
      lastSeen: now,
      eventCount: 1,
      latest: {},
      first: {},
      openedAt: new Date(now.getTime() - agoMs),
    });
    await d.db.insert(schema.incidents).values([incident('inc_slow', 'openai <script>x</script>', 40_000), incident('inc_fresh', 'mistral', 2_000)]);
    const form = await call(srv.port, 'GET', '/sre/login');
    const login = await call(srv.port, 'POST', '/sre/login', { headers: { cookie: cookiesFrom(form) }, form: { csrf: hidden(form.body, 'csrf')!, next: '/sre', token: TOKENS[0]!.token } });
    const page = await call(srv.port, 'GET', '/sre', { headers: { cookie: cookiesFrom(login, cookiesFrom(form)) } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Awaiting a proposal (2)');
    expect(page.body).toMatch(/data-incident="inc_slow">provider\.unhealthy · openai &lt;script&gt;x&lt;\/script&gt;: reasoning, 4\d s so far/);
    expect(page.body).toMatch(/data-incident="inc_fresh">provider\.unhealthy · mistral: reasoning, \d s so far/);
    expect(page.body).not.toContain('<script>x');
  });
});
