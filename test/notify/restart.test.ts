import { systemClock } from '../../src/clock.js';
import { readingClock } from '../support/clock.js';
import { and, eq } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/db/client.js';
import { createDispatcher } from '../../src/notify/dispatcher.js';
import { createEmailAdapter } from '../../src/notify/email.js';
import { createWebhookAdapter } from '../../src/notify/webhook.js';
import { escalate } from '../../src/proposals/escalate.js';
import { enqueueNotification } from '../../src/jobs/index.js';
import { runDueJobs } from '../support/jobs.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { useMsw } from '../support/msw.js';
import { PUBLIC_BASE_URL, makeDeps, seedPending, silent } from './fixtures.js';

const HOOK = 'https://hooks.example.com/sre';
const API = 'https://sendgrid.test';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('a dispatcher killed mid-delivery, then restarted', () => {
  const msw = useMsw();
  let d: TestDatabase;
  beforeAll(async () => {
    d = await freshPostgres();
  });
  afterAll(async () => d.dispose());

  it('webhook: the repeat carries the same Idempotency-Key; email: accepted recipients are not mailed again', async () => {
    const s = await seedPending(d.db);
    await d.db.transaction((tx) => enqueueNotification(tx, { channels: ['webhook', 'email'], clock: systemClock }, 'proposal.created', { incidentId: s.incidentId, proposalId: s.proposalId }));

    const hookKeys: string[] = [];
    const mails: string[] = [];
    const firstHookHit = deferred();
    const secondMailHit = deferred();
    const release = deferred<number>();
    msw.use(
      http.post(HOOK, async ({ request }) => {
        hookKeys.push(request.headers.get('idempotency-key')!);
        if (hookKeys.length === 1) {
          firstHookHit.resolve();
          return new HttpResponse(null, { status: await release.promise });
        }
        return new HttpResponse(null, { status: 204 });
      }),
      http.post(`${API}/v3/mail/send`, async ({ request }) => {
        const to = ((await request.json()) as { personalizations: { to: { email: string }[] }[] }).personalizations[0]!.to[0]!.email;
        mails.push(to);
        if (mails.length === 2) {
          secondMailHit.resolve();
          return new HttpResponse(null, { status: await release.promise });
        }
        return new HttpResponse(null, { status: 202 });
      }),
    );
    const adapters = () => [
      createWebhookAdapter({ db: d.db, urls: [HOOK], secret: 'whsec-0123456789abcdef', publicBaseUrl: PUBLIC_BASE_URL, logger: silent, timeoutMs: 60_000 }),
      createEmailAdapter({ db: d.db, apiKey: 'SG.k', apiUrl: API, from: 'sre@example.com', to: ['a@example.com', 'b@example.com'], linkSecret: 'link-secret-0123456789', publicBaseUrl: PUBLIC_BASE_URL, logger: silent }),
    ];
    const t0 = Date.now();
    // Replica A claims both rows and "dies" while the receivers hold its requests.
    const a = createDispatcher({ db: d.db, adapters: adapters(), logger: silent, leaseMs: 60_000, clock: readingClock(() => new Date(t0))});
    const aRun = a.runOnce();
    await Promise.all([firstHookHit.promise, secondMailHit.promise]);

    // A stalls past its lease (leases end by the database's clock); replica B then delivers both rows.
    await d.db.update(schema.outbox).set({ leaseExpiresAt: new Date(Date.now() - 1000) }).where(eq(schema.outbox.proposalId, s.proposalId));
    const b = createDispatcher({ db: d.db, adapters: adapters(), logger: silent, leaseMs: 60_000, clock: readingClock(() => new Date(t0 + 61_000))});
    expect(await b.runOnce()).toBe(2);
    // A's stalled requests finally complete: nothing is recorded twice.
    release.resolve(503);
    await aRun;

    expect(hookKeys).toHaveLength(2);
    expect(new Set(hookKeys)).toEqual(new Set([hookKeys[0]]));
    // a@ was accepted and recorded before the crash, so B skipped it; b@'s first request was in flight
    // when A died and SendGrid has no idempotency key, so b@ may get the mail twice (docs/channels.md).
    expect(mails).toEqual(['a@example.com', 'b@example.com', 'b@example.com']);

    const rows = await d.db.select().from(schema.outbox).where(eq(schema.outbox.proposalId, s.proposalId));
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent']);
    const sent = await d.db.select().from(schema.sreActions).where(and(eq(schema.sreActions.proposalId, s.proposalId), eq(schema.sreActions.kind, 'notification.sent')));
    expect(sent).toHaveLength(2);
  });

  it('the escalate timer escalates once however often it fires', async () => {
    const s = await seedPending(d.db, { provider: 'anthropic' });
    const deps = makeDeps(d.db, { channels: ['webhook'] });
    await d.db.insert(schema.timers).values({ kind: 'escalate', key: `escalate:${s.proposalId}`, runAt: new Date(deps.clock.now().getTime() - 1000), payload: { proposal_id: s.proposalId } });
    await Promise.all([runDueJobs(deps), runDueJobs(deps), escalate(deps, { proposalId: s.proposalId })]);
    const [p] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
    expect(p!.escalatedAt).not.toBeNull();
    const audits = await d.db.select().from(schema.sreActions).where(and(eq(schema.sreActions.proposalId, s.proposalId), eq(schema.sreActions.kind, 'proposal.escalated')));
    expect(audits).toHaveLength(1);
    const rows = await d.db.select().from(schema.outbox).where(and(eq(schema.outbox.proposalId, s.proposalId), eq(schema.outbox.kind, 'proposal.escalated')));
    expect(rows).toHaveLength(1);
    const [timer] = await d.db.select().from(schema.timers).where(eq(schema.timers.key, `escalate:${s.proposalId}`));
    expect(timer!.status).toBe('done');
  });
});
