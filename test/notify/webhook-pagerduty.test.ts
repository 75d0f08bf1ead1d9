import { createHmac, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPagerDuty } from '../../src/actions/pagerduty.js';
import { schema } from '../../src/db/client.js';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../src/notify/adapter.js';
import { createPagerDutyAdapter } from '../../src/notify/pagerduty.js';
import { createWebhookAdapter } from '../../src/notify/webhook.js';
import { decide } from '../../src/proposals/decide.js';
import { escalate } from '../../src/proposals/escalate.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { useMsw } from '../support/msw.js';
import { PUBLIC_BASE_URL, makeDeps, outboxRow, seedPending, silent } from './fixtures.js';

const SECRET = 'whsec-test-0123456789abcdef';
const HOOKS = ['https://hooks.example.com/sre', 'https://other.example.net/in'];
const PD = 'https://events.pagerduty.test/v2/enqueue';

/** What a receiver does (docs/channels.md): recompute the HMAC over timestamp.body and compare in constant time. */
function receiverVerifies(secret: string, timestamp: string, rawBody: string, header: string): boolean {
  const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
  return expected.length === header.length && timingSafeEqual(Buffer.from(expected), Buffer.from(header));
}

describe('webhook and PagerDuty adapters', () => {
  const msw = useMsw();
  let d: TestDatabase;
  beforeAll(async () => {
    d = await freshPostgres();
  });
  afterAll(async () => d.dispose());

  it('POSTs a signed, versioned body with the deep link to every URL; receivers verify it', async () => {
    const s = await seedPending(d.db);
    const got: { url: string; raw: string; headers: Headers }[] = [];
    for (const u of HOOKS) {
      msw.use(
        http.post(u, async ({ request }) => {
          got.push({ url: u, raw: await request.text(), headers: request.headers });
          return new HttpResponse(null, { status: 204 });
        }),
      );
    }
    const a = createWebhookAdapter({ db: d.db, urls: HOOKS, secret: SECRET, publicBaseUrl: PUBLIC_BASE_URL, logger: silent });
    await expect(a.deliver(outboxRow(7, 'proposal.created', s, 'webhook'))).resolves.toMatchObject({ status: 'sent' });
    expect(got.map((g) => g.url)).toEqual(HOOKS);
    got.forEach((g, i) => {
      const ts = g.headers.get('x-sre-timestamp')!;
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(300);
      expect(receiverVerifies(SECRET, ts, g.raw, g.headers.get('x-sre-signature')!)).toBe(true);
      expect(receiverVerifies('wrong-secret', ts, g.raw, g.headers.get('x-sre-signature')!)).toBe(false);
      expect(receiverVerifies(SECRET, ts, g.raw.replace('55', '56'), g.headers.get('x-sre-signature')!)).toBe(false);
      expect(g.headers.get('idempotency-key')).toBe(`outbox-7-${i}`);
      const body = JSON.parse(g.raw) as Record<string, unknown> & { proposal: Record<string, unknown> };
      expect(body).toMatchObject({ version: 1, kind: 'proposal.created', incident_id: s.incidentId, link: `${PUBLIC_BASE_URL}/sre/proposals/${s.proposalId}` });
      expect(body.proposal).toMatchObject({ id: s.proposalId, status: 'pending', risk_score: 55, action: 'circuit_break_provider' });
      expect(typeof body.delivered_at).toBe('string');
    });
  });

  it('5xx, 429 and network failures are retryable; other 4xx are permanent', async () => {
    const s = await seedPending(d.db, { provider: 'anthropic' });
    const a = createWebhookAdapter({ db: d.db, urls: [HOOKS[0]!], secret: SECRET, publicBaseUrl: PUBLIC_BASE_URL, logger: silent });
    const answer = (status: number, headers: Record<string, string> = {}) => msw.use(http.post(HOOKS[0]!, () => new HttpResponse(null, { status, headers })));
    answer(503);
    await expect(a.deliver(outboxRow(8, 'proposal.created', s, 'webhook'))).rejects.toBeInstanceOf(RetryableDeliveryError);
    answer(429, { 'retry-after': '7' });
    await expect(a.deliver(outboxRow(8, 'proposal.created', s, 'webhook'))).rejects.toMatchObject({ retryAfterMs: 7000 });
    msw.use(http.post(HOOKS[0]!, () => HttpResponse.error()));
    await expect(a.deliver(outboxRow(8, 'proposal.created', s, 'webhook'))).rejects.toBeInstanceOf(RetryableDeliveryError);
    answer(410);
    await expect(a.deliver(outboxRow(8, 'proposal.created', s, 'webhook'))).rejects.toBeInstanceOf(PermanentDeliveryError);
  });

  it('PagerDuty: triggers at or above the score, once per incident key, again on escalation, resolves when decided', async () => {
    const events: Record<string, unknown>[] = [];
    msw.use(
      http.post(PD, async ({ request }) => {
        const e = (await request.json()) as Record<string, unknown>;
        events.push(e);
        return HttpResponse.json({ status: 'success', dedup_key: e.dedup_key }, { status: 202 });
      }),
    );
    const pager = createPagerDuty({ routingKey: 'rk-test', eventsUrl: PD, logger: silent, retries: 1 });
    const a = createPagerDutyAdapter({ db: d.db, pager, minScore: 50, publicBaseUrl: PUBLIC_BASE_URL, logger: silent });
    const low = await seedPending(d.db, { provider: 'vertex', riskScore: 30 });
    await expect(a.deliver(outboxRow(1, 'proposal.created', low, 'pagerduty'))).resolves.toMatchObject({ status: 'skipped' });
    const high = await seedPending(d.db, { provider: 'mistral', riskScore: 70 });
    await expect(a.deliver(outboxRow(2, 'proposal.created', high, 'pagerduty'))).resolves.toMatchObject({ status: 'sent' });

    // Escalation: the conditional UPDATE runs once, writes the outbox rows and pages again.
    const deps = makeDeps(d.db);
    expect(await escalate(deps, { proposalId: high.proposalId })).toEqual({ escalated: true, did: 'renotified', paged: true });
    expect(await escalate(deps, { proposalId: high.proposalId })).toEqual({ escalated: false, reason: 'already_escalated' });
    const rows = await d.db.select().from(schema.outbox).where(eq(schema.outbox.proposalId, high.proposalId));
    expect(rows.map((r) => `${r.channel}:${r.kind}`).sort()).toEqual(['email:proposal.escalated', 'pagerduty:proposal.escalated', 'webhook:proposal.escalated']);
    const audit = await d.db.select().from(schema.sreActions).where(eq(schema.sreActions.proposalId, high.proposalId));
    expect(audit.map((x) => x.kind)).toEqual(['proposal.escalated']);
    await a.deliver(outboxRow(3, 'proposal.escalated', high, 'pagerduty'));

    await decide(deps, { proposalId: high.proposalId, decision: 'reject', actor: { type: 'user', name: 'carol', via: 'console' } });
    expect(await escalate(deps, { proposalId: high.proposalId })).toEqual({ escalated: false, reason: 'not_pending' });
    await a.deliver(outboxRow(4, 'proposal.decided', high, 'pagerduty'));
    await expect(a.deliver(outboxRow(5, 'proposal.decided', low, 'pagerduty'))).resolves.toMatchObject({ status: 'skipped' });

    expect(events.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', high.incidentId],
      ['trigger', high.incidentId],
      ['resolve', high.incidentId],
    ]);
    expect(events[0]).toMatchObject({ routing_key: 'rk-test', payload: { severity: 'error', source: 'scutum-sre-agent' }, links: [{ href: `${PUBLIC_BASE_URL}/sre/proposals/${high.proposalId}` }] });
    expect(events[1]).toMatchObject({ payload: { severity: 'critical' } });
    expect((events[1]!.payload as { summary: string }).summary).toMatch(/^Escalated: /);
  });
});
