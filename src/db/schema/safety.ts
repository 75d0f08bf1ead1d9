import { boolean, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The kill switch: one row (id 'agent'), read inside every claiming transaction, so all replicas
 * obey a pause the moment it commits and a restart keeps it. Every change is audited by its verb.
 */
export const agentSwitch = pgTable('agent_switch', {
  id: text('id').primaryKey(),
  paused: boolean('paused').notNull().default(false),
  pausedBy: text('paused_by'),
  pausedReason: text('paused_reason'),
  pausedAt: timestamp('paused_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
