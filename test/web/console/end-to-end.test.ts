import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaybookReasoner } from '../../../src/agent/playbook/index.js';
import { schema } from '../../../src/db/client.js';
import { createDispatcher } from '../../../src/notify/dispatcher.js';
import { createEmailAdapter } from '../../../src/notify/email.js';
import { runDueJobs } from '../../support/jobs.js';
import type { ServiceDeps } from '../../../src/proposals/types.js';
import { createConsole } from '../../../src/web/console/index.js';
import { createWebServer } from '../../../src/web/server.js';
import { PUBLIC_BASE_URL, makeDeps, silent } from '../../notify/fixtures.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { useMsw } from '../../support/msw.js';
import { call, cookiesFrom, hidden } from './client.js';

const API = 'https://sendgrid.test';
const INGEST = 'ingest-token-0123456789abcdef';
const LINK_SECRET = 'e2e-link-secret-0123456789';

/** Event in over HTTP with a spoofed Host → proposal → email via the outbox → link → decision, all on the agent's server. */
describe('event to email link to decision, through the agent server', () => {
  const msw = useMsw();
  let d: TestDatabase;
  let deps: ServiceDeps;
  let port = 0;
  let close: () => Promise<void>;
  beforeAll(async () => {
    d = await freshPostgres();
    deps = makeDeps(d.db, { reasoner: new PlaybookReasoner(), channels: ['email'], policy: { riskThreshold: 0, autoApprove: false, timeZone: 'UTC', criticalTeams: [], mode: 'live', twoPersonScore: 75 } });
    const c = createConsole({ deps, apiTokens: [], sessionSecret: 'e2e-session-secret', publicBaseUrl: PUBLIC_BASE_URL, linkSecret: LINK_SECRET });
    const server = createWebServer({ deps, logger: silent, ingestToken: INGEST, apiTokens: [], ready: async () => ({ ok: true, checks: {} }), routes: [c.handle] });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    close = () => new Promise((r) => server.close(() => r()));
  });
  afterAll(async () => {
    await close();
    await d.dispose();
  });

  it('links point at PUBLIC_BASE_URL whatever Host the triggering request claimed, and the link decides once', async () => {
    const spoof = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' };
    const ev = { id: 'evt_e2e_1', type: 'provider.unhealthy', occurred_at: new Date().toISOString(), source: 'admin-api', data: { provider: 'openai', error_rate: 0.5, requests: 2000, window_seconds: 60, model_group: 'gpt-4o' } };
    const accepted = await call(port, 'POST', '/v1/events', { headers: { ...spoof, authorization: `Bearer ${INGEST}` }, json: ev });
    expect(accepted.status).toBe(202);
    await runDueJobs(deps);
    const [proposal] = await d.db.select().from(schema.proposals);
    expect(proposal!.status).toBe('pending');

    const mails: { to: string; text: string; html: string }[] = [];
    msw.use(
      http.post(`${API}/v3/mail/send`, async ({ request }) => {
        const b = (await request.json()) as { personalizations: { to: { email: string }[] }[]; content: { value: string }[] };
        mails.push({ to: b.personalizations[0]!.to[0]!.email, text: b.content[0]!.value, html: b.content[1]!.value });
        return new HttpResponse(null, { status: 202 });
      }),
    );
    const email = createEmailAdapter({ db: d.db, apiKey: 'SG.k', apiUrl: API, from: 'sre@example.com', to: ['oncall@example.com'], linkSecret: LINK_SECRET, publicBaseUrl: PUBLIC_BASE_URL, logger: silent });
    await createDispatcher({ db: d.db, adapters: [email], logger: silent }).runOnce();
    expect(mails).toHaveLength(1);
    for (const part of [mails[0]!.text, mails[0]!.html]) {
      expect(part).not.toContain('evil.example');
      for (const u of part.match(/https?:\/\/[^\s"<]+/g) ?? []) expect(new URL(u).origin).toBe(PUBLIC_BASE_URL);
    }
    const approveUrl = new URL(/(https:\/\/\S+\/sre\/decide\/[A-Za-z0-9_-]{43})\n/.exec(mails[0]!.text.split('Approve: ')[1]!)![1]!);

    // The confirmation page, fetched with a spoofed Host, still posts to PUBLIC_BASE_URL.
    const page = await call(port, 'GET', approveUrl.pathname, { headers: spoof });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`action="${approveUrl.href}"`);
    const form = { csrf: hidden(page.body, 'csrf')!, proposal_id: hidden(page.body, 'proposal_id')!, decision: hidden(page.body, 'decision')! };
    const posted = await call(port, 'POST', approveUrl.pathname, { headers: { cookie: cookiesFrom(page), origin: PUBLIC_BASE_URL }, form });
    expect(posted.status).toBe(200);
    const again = await call(port, 'POST', approveUrl.pathname, { headers: { cookie: cookiesFrom(page), origin: PUBLIC_BASE_URL }, form });
    expect(again.status).toBe(410);
    const [after] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, proposal!.id));
    expect(after).toMatchObject({ decidedBy: 'email:oncall@example.com', decidedVia: 'email' });
    expect(['approved', 'executing', 'succeeded']).toContain(after!.status);
  });
});
