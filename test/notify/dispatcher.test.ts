import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { queryRows, schema } from '../../src/db/client.js';
import { PermanentDeliveryError, RetryableDeliveryError, type ChannelAdapter, type OutboxRow } from '../../src/notify/adapter.js';
import { createDispatcher } from '../../src/notify/dispatcher.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshPostgres();
});
afterAll(async () => db.dispose());
beforeEach(async () => {
  await db.db.delete(schema.outbox);
});

const logger = pino({ level: 'silent' });
// Due by the dispatcher's clock, as the agent writes them (enqueueNotification takes the clock): the
// column's database default is stamped in microseconds and can read as not yet due within the same ms.
const add = async (lane: string, extra: Partial<typeof schema.outbox.$inferInsert> = {}) =>
  (await db.db.insert(schema.outbox).values({ channel: 'webhook', kind: 'proposal.created', payload: { lane }, nextAttemptAt: new Date(), ...extra }).returning())[0]!;

function adapter(deliver: (row: OutboxRow) => Promise<void>, paced = true): ChannelAdapter & { sent: OutboxRow[] } {
  const sent: OutboxRow[] = [];
  return {
    channel: 'webhook',
    sent,
    ...(paced ? { paceMs: 60_000, paceKey: (row: OutboxRow) => String(row.payload.lane) } : {}),
    async deliver(row) {
      await deliver(row);
      sent.push(row);
      return { status: 'sent' };
    },
  };
}

it('paces rows of one lane without holding up another lane', async () => {
  const a = adapter(async () => {});
  const [a1, a2, b1] = [await add('A'), await add('A'), await add('B')];
  const d = createDispatcher({ db: db.db, adapters: [a], logger });
  await d.runOnce();
  expect(a.sent.map((r) => r.id).sort()).toEqual([a1.id, b1.id].sort());
  const [held] = await db.db.select().from(schema.outbox).where(eq(schema.outbox.id, a2.id));
  // Handed back until its lane is free again; not counted as a failed attempt.
  expect(held).toMatchObject({ status: 'pending', attempts: 0 });
  expect(held!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 30_000);
  expect(d.nextWakeInMs()).toBeGreaterThan(30_000);
  await d.runOnce();
  expect(a.sent).toHaveLength(2);
});

it('honours Retry-After, then goes dead after the last attempt with an audit row', async () => {
  const failing = adapter(async () => {
    throw new RetryableDeliveryError('429 rate limited', 7_000);
  }, false);
  const row = await add('C');
  const d = createDispatcher({ db: db.db, adapters: [failing], logger, maxAttempts: 2 });
  const before = Date.now();
  await d.runOnce();
  const [waiting] = await db.db.select().from(schema.outbox).where(eq(schema.outbox.id, row.id));
  expect(waiting).toMatchObject({ status: 'pending', attempts: 1, lastError: '429 rate limited' });
  expect(waiting!.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(before + 7_000);
  await db.db.update(schema.outbox).set({ nextAttemptAt: new Date(0) }).where(eq(schema.outbox.id, row.id));
  await d.runOnce();
  const [dead] = await db.db.select().from(schema.outbox).where(eq(schema.outbox.id, row.id));
  expect(dead).toMatchObject({ status: 'dead', attempts: 2 });
  const audit = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from sre_actions where kind = 'notification.dead' and payload->>'outbox_id' = ${String(row.id)}`);
  expect(audit[0]!.n).toBe(1);
});

it('a permanent failure goes dead at once', async () => {
  const broken = adapter(async () => {
    throw new PermanentDeliveryError('410 gone');
  });
  const row = await add('D');
  await createDispatcher({ db: db.db, adapters: [broken], logger }).runOnce();
  const [dead] = await db.db.select().from(schema.outbox).where(eq(schema.outbox.id, row.id));
  expect(dead).toMatchObject({ status: 'dead', attempts: 1, lastError: '410 gone' });
});
