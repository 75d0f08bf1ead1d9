import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** Raw platform events (deduplicated by their id) and the incidents they are correlated into. */

export const incidents = pgTable(
  'incidents',
  {
    id: text('id').primaryKey(),
    key: text('key').notNull(),
    type: text('type').notNull(),
    subject: text('subject').notNull(),
    status: text('status').notNull().default('open'),
    firstSeen: timestamp('first_seen', { withTimezone: true }).notNull(),
    lastSeen: timestamp('last_seen', { withTimezone: true }).notNull(),
    eventCount: bigint('event_count', { mode: 'number' }).notNull().default(0),
    /** The latest event's data: what reasoning and cards show. */
    latest: jsonb('latest').$type<Record<string, unknown>>().notNull(),
    /** The data of the event that occurred first, for comparison. */
    first: jsonb('first').$type<Record<string, unknown>>().notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    slackChannel: text('slack_channel'),
    slackTs: text('slack_ts'),
    summaryVersion: integer('summary_version').notNull().default(0),
    /** The silence holding this incident (no proposal, no page, no card) while it lasts; null when none. */
    silence: jsonb('silence').$type<{ id: string; until: string; by: string; reason: string }>(),
    /** The W3C traceparent of the ingest span that opened it: the incident's trace (null while tracing is off). */
    traceParent: text('trace_parent'),
  },
  (t) => [
    uniqueIndex('incidents_one_open_per_key').on(t.key).where(sql`${t.status} = 'open'`),
    index('incidents_key_idx').on(t.key, t.openedAt),
    index('incidents_status_idx').on(t.status, t.lastSeen),
  ],
);

export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    source: text('source').notNull(),
    via: text('via').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    incidentId: text('incident_id').notNull(),
  },
  (t) => [index('events_incident_idx').on(t.incidentId, t.occurredAt), index('events_received_idx').on(t.receivedAt)],
);
