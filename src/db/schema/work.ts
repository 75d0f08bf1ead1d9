import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** Durable background work: the notification outbox and timers (restores, expiry, escalation). */

export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    channel: text('channel').notNull(),
    kind: text('kind').notNull(),
    incidentId: text('incident_id'),
    proposalId: text('proposal_id'),
    /** Rows with the same key are delivered in order, one at a time (a Slack channel, a thread). */
    orderingKey: text('ordering_key'),
    /** Where a later row makes an earlier undelivered one pointless (a live summary), it replaces it. */
    coalesceKey: text('coalesce_key'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    /** The replica delivering the row now, and until when; renewed while it works (proposals/leases.ts). */
    leasedBy: text('leased_by'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    result: jsonb('result').$type<Record<string, unknown>>(),
    /** The W3C traceparent of the span that wrote the row: its delivery continues that trace (null while tracing is off). */
    traceParent: text('trace_parent'),
  },
  (t) => [
    index('outbox_due_idx').on(t.status, t.nextAttemptAt),
    uniqueIndex('outbox_one_pending_per_coalesce').on(t.coalesceKey).where(sql`${t.status} = 'pending' and ${t.coalesceKey} is not null`),
  ],
);

export const timers = pgTable(
  'timers',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    /** One live timer per key (e.g. restore:exe_…), so a retry never schedules twice. */
    key: text('key').notNull(),
    runAt: timestamp('run_at', { withTimezone: true }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** The replica running the timer now, and until when; renewed while its handler runs. */
    leasedBy: text('leased_by'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    lastError: text('last_error'),
    doneAt: timestamp('done_at', { withTimezone: true }),
    /** The W3C traceparent of the span that scheduled it: the run, on whichever replica, continues that trace (null while tracing is off). */
    traceParent: text('trace_parent'),
  },
  (t) => [uniqueIndex('timers_key_uq').on(t.key), index('timers_due_idx').on(t.status, t.runAt)],
);

/**
 * One row a replica (SRE_CONSUMER_NAME, else host-pid) that has ever beaten: its heartbeat when the
 * agent runs without Redis (or Redis is unreachable), on the database's clock. A row whose
 * `expires_at` is past is a dead replica; the peer that takes its work over deletes the row.
 */
export const replicaHeartbeats = pgTable('replica_heartbeats', {
  name: text('name').primaryKey(),
  /** Stamped by the database (now()), never by a replica: skew between replicas does not matter. */
  beatAt: timestamp('beat_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});
