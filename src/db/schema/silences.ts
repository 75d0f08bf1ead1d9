import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { Matchers } from '../../domain/silences.js';

/**
 * Silences: while one matches, events are still stored and audited but their incident proposes
 * nothing, pages nobody and executes nothing. A one-off silence has an ends_at (at most 7 days
 * ahead); a maintenance window made through the API has a weekly schedule instead. Every change
 * is audited by its verb (src/silences).
 */
export const silences = pgTable(
  'silences',
  {
    id: text('id').primaryKey(),
    matchers: jsonb('matchers').$type<Matchers>().notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    /** `sun 02:00-04:00` in the operators' time zone (SRE_TIMEZONE); set only on maintenance windows. */
    schedule: text('schedule'),
    reason: text('reason').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endedBy: text('ended_by'),
  },
  (t) => [index('silences_live_idx').on(t.endedAt, t.endsAt)],
);
