import { systemClock } from '../../src/clock.js';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { describe, expect } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import { queryRows } from '../../src/db/client.js';
import type { PlatformEvent } from '../../src/domain/events.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { eventually } from '../support/eventually.js';
import { deferred } from '../support/barrier.js';
import { pgTest as test } from '../support/fixtures.js';

const logger = pino({ level: 'silent' });

const ev = (i: number): PlatformEvent => ({
  id: `evt_locks_${i}`,
  type: 'provider.unhealthy',
  occurred_at: new Date(Date.UTC(2026, 10, 25, 10, 0, i)).toISOString(),
  source: 'admin-api',
  data: { provider: 'locks', error_rate: 0.5, requests: 1000, window_seconds: 60 },
});

describe('ingest beside the outbox dispatcher', () => {
  test('never holds the audit chain lock while it waits for a notification row the dispatcher holds', async ({ db: d }) => {
    const deps = { db: d.db, channels: ['slack'] as const, clock: systemClock, logger };
    await ingestEvents(deps, [{ event: ev(1), via: 'stream' }]);
    await ingestEvents(deps, [{ event: ev(2), via: 'stream' }]);
    const [row] = await queryRows<{ id: string }>(d.db, sql`select id from outbox where kind = 'incident.updated' and status = 'pending'`);
    expect(row).toBeDefined();

    // The dispatcher's transaction: it has the pending summary row, and will append its audit row.
    const locked = deferred();
    const goOn = deferred();
    const dispatcher = d.db.transaction(async (tx) => {
      await tx.execute(sql`update outbox set status = 'sent', sent_at = now() where id = ${row!.id}`);
      locked.resolve();
      await goOn.promise;
      await appendAudit(tx, { kind: 'notification.sent', actor: { type: 'system', name: 'dispatcher' }, payload: { channel: 'slack' } });
    });
    await locked.promise;
    // The next batch for the incident must wait for that row (its summary row would coalesce).
    const ingest = ingestEvents(deps, [{ event: ev(3), via: 'stream' }]);
    // The race itself: the test fails unless ingest is seen queued on that row while the dispatcher holds it.
    await eventually(
      async () => {
        const waiting = await queryRows<{ n: number }>(
          d.db,
          sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike '%insert into outbox%'`,
        );
        return waiting[0]!.n > 0;
      },
      { what: "ingest queued on the outbox row the dispatcher's transaction holds", timeoutMs: 10_000 },
    );
    goOn.resolve();
    // Had ingest taken the chain lock first, one of the two would die with "deadlock detected".
    await expect(dispatcher).resolves.toBeUndefined();
    await expect(ingest).resolves.toMatchObject({ accepted: ['evt_locks_3'] });
    const [inc] = await queryRows<{ event_count: number }>(d.db, sql`select event_count::int from incidents where key = 'provider:locks'`);
    expect(inc!.event_count).toBe(3);
  });
});
