import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, schema } from '../../src/db/client.js';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../src/notify/adapter.js';
import { createEmailAdapter } from '../../src/notify/email.js';
import { hashToken } from '../../src/notify/links.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { useMsw } from '../support/msw.js';
import { PUBLIC_BASE_URL, outboxRow, seedPending, silent } from './fixtures.js';

const API = 'https://sendgrid.test';
const SECRET = 'link-secret-for-tests-0123456789';
const TO = ['oncall@example.com', 'lead@example.com'];
const TOKEN_IN_URL = new RegExp(`${PUBLIC_BASE_URL.replace(/[.]/g, '\\.')}/sre/decide/([A-Za-z0-9_-]{43})`, 'g');

interface Captured {
  body: Record<string, unknown>;
  headers: Headers;
}

describe('email adapter (SendGrid)', () => {
  const msw = useMsw();
  let d: TestDatabase;
  beforeAll(async () => {
    d = await freshPostgres();
  });
  afterAll(async () => d.dispose());

  const adapter = () => createEmailAdapter({ db: d.db, apiKey: 'SG.test-key', apiUrl: API, from: 'sre@example.com', to: TO, linkSecret: SECRET, publicBaseUrl: PUBLIC_BASE_URL, logger: silent });

  function capture(status = 202): Captured[] {
    const seen: Captured[] = [];
    msw.use(
      http.post(`${API}/v3/mail/send`, async ({ request }) => {
        seen.push({ body: (await request.json()) as Record<string, unknown>, headers: request.headers });
        return status === 202 ? new HttpResponse(null, { status }) : HttpResponse.json({ errors: [{ message: 'nope' }] }, { status });
      }),
    );
    return seen;
  }

  it('sends one mail per recipient with both parts, click tracking off and links on PUBLIC_BASE_URL, even when the triggering request spoofed Host', async () => {
    const s = await seedPending(d.db, { reasoning: 'Spike <script>alert(1)</script> & "quotes"' });
    const seen = capture();
    const a = adapter();
    // The mail is sent from a request whose Host header names another origin: nothing may read it.
    const server: Server = createServer((_req, res) => {
      void a.deliver(outboxRow(101, 'proposal.created', s, 'email')).then((o) => res.end(JSON.stringify(o)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const outcome = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host: 'evil.example:666', 'x-forwarded-host': 'evil.example' } }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.end();
    });
    server.close();
    expect(JSON.parse(outcome)).toMatchObject({ status: 'sent' });

    expect(seen).toHaveLength(2);
    const recipients = seen.map((c) => (c.body.personalizations as { to: { email: string }[] }[]).map((p) => p.to.map((t) => t.email)));
    expect(recipients).toEqual([[['oncall@example.com']], [['lead@example.com']]]);
    for (const c of seen) {
      expect(c.headers.get('authorization')).toBe('Bearer SG.test-key');
      const body = c.body;
      expect(body.from).toEqual({ email: 'sre@example.com' });
      expect(body.subject).toBe('[SRE] Approval needed: circuit_break_provider on provider:openai (risk 55)');
      expect(body.tracking_settings).toEqual({
        click_tracking: { enable: false, enable_text: false },
        open_tracking: { enable: false },
        subscription_tracking: { enable: false },
      });
      expect(body.custom_args).toEqual({ outbox_id: '101', proposal_id: s.proposalId, incident_id: s.incidentId });
      expect(body.headers).toEqual({ 'X-SRE-Outbox-Id': '101', 'X-SRE-Proposal-Id': s.proposalId });
      const content = body.content as { type: string; value: string }[];
      expect(content.map((x) => x.type)).toEqual(['text/plain', 'text/html']);
      const [text, htmlPart] = [content[0]!.value, content[1]!.value];
      expect(text).toContain('Incident: provider.unhealthy on openai');
      expect(text).toContain('Risk score: 55/100');
      expect(text).toContain('+40  traffic: sheds 4200 requests/min & more');
      expect(text).toContain('Spike <script>alert(1)</script> & "quotes"');
      expect(htmlPart).not.toContain('<script>');
      expect(htmlPart).toContain('Spike &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
      expect(htmlPart).toContain('sheds 4200 requests/min &amp; more');
      // Every link in both parts is on PUBLIC_BASE_URL; the spoofed host appears nowhere.
      for (const part of [text, htmlPart]) {
        expect(part).not.toContain('evil.example');
        const urls = part.match(/https?:\/\/[^\s"<]+/g) ?? [];
        expect(urls.length).toBeGreaterThanOrEqual(3);
        for (const u of urls) expect(new URL(u).origin).toBe(PUBLIC_BASE_URL);
      }
      expect([...text.matchAll(TOKEN_IN_URL)]).toHaveLength(2);
    }

    // Two tokens per recipient, each stored only as its HMAC, bound to the recipient and decision.
    const links = await d.db.select().from(schema.decisionLinks).where(eq(schema.decisionLinks.proposalId, s.proposalId));
    expect(links).toHaveLength(4);
    const tokens = seen.flatMap((c) => [...((c.body.content as { value: string }[])[0]!.value.matchAll(TOKEN_IN_URL))].map((m) => m[1]!));
    for (const tok of tokens) {
      const row = links.find((l) => l.tokenHash === hashToken(SECRET, tok));
      expect(row).toBeDefined();
      expect(JSON.stringify(links)).not.toContain(tok);
    }
    expect(links.map((l) => `${l.recipient}:${l.decision}`).sort()).toEqual([
      'lead@example.com:approve',
      'lead@example.com:reject',
      'oncall@example.com:approve',
      'oncall@example.com:reject',
    ]);
    const ttl = links.map((l) => l.expiresAt.getTime() - l.createdAt.getTime());
    expect(new Set(ttl)).toEqual(new Set([3_600_000]));
  });

  it('a retry after a failure mails only the recipients not yet accepted', async () => {
    const s = await seedPending(d.db, { provider: 'anthropic' });
    let calls = 0;
    const accepted: string[] = [];
    msw.use(
      http.post(`${API}/v3/mail/send`, async ({ request }) => {
        calls += 1;
        const body = (await request.json()) as { personalizations: { to: { email: string }[] }[] };
        const to = body.personalizations[0]!.to[0]!.email;
        if (to === 'lead@example.com' && calls === 2) return HttpResponse.json({ errors: [{ message: 'busy' }] }, { status: 503 });
        accepted.push(to);
        return new HttpResponse(null, { status: 202 });
      }),
    );
    const a = adapter();
    await expect(a.deliver(outboxRow(202, 'proposal.created', s, 'email'))).rejects.toBeInstanceOf(RetryableDeliveryError);
    await expect(a.deliver(outboxRow(202, 'proposal.created', s, 'email'))).resolves.toMatchObject({ status: 'sent', result: { sent_now: 1 } });
    expect(accepted).toEqual(['oncall@example.com', 'lead@example.com']);
  });

  it('a 4xx other than 429 is permanent; 429 is retryable', async () => {
    const s = await seedPending(d.db, { provider: 'bedrock' });
    capture(400);
    await expect(adapter().deliver(outboxRow(303, 'proposal.created', s, 'email'))).rejects.toBeInstanceOf(PermanentDeliveryError);
    capture(429);
    await expect(adapter().deliver(outboxRow(304, 'proposal.created', s, 'email'))).rejects.toBeInstanceOf(RetryableDeliveryError);
  });

  it('sends nothing for a proposal that is no longer pending, and says escalated in the subject', async () => {
    const done = await seedPending(d.db, { provider: 'vertex', status: 'approved' });
    const seen = capture();
    await expect(adapter().deliver(outboxRow(404, 'proposal.created', done, 'email'))).resolves.toMatchObject({ status: 'skipped' });
    expect(seen).toHaveLength(0);
    const s = await seedPending(d.db, { provider: 'mistral' });
    await adapter().deliver(outboxRow(405, 'proposal.escalated', s, 'email'));
    expect(seen.map((c) => c.body.subject)).toEqual([
      '[SRE] Escalated: still waiting for a decision: circuit_break_provider on provider:mistral (risk 55)',
      '[SRE] Escalated: still waiting for a decision: circuit_break_provider on provider:mistral (risk 55)',
    ]);
    const [{ n }] = (await queryRows<{ n: number }>(d.db, sql`select count(*)::int as n from decision_links where proposal_id = ${done.proposalId}`)) as [{ n: number }];
    expect(n).toBe(0);
  });
});
