import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The audit trail. Append-only in the database itself: triggers (drizzle/0001 custom migration)
 * refuse UPDATE, DELETE and TRUNCATE, and chain each row's hash to the previous one.
 */
export const sreActions = pgTable(
  'sre_actions',
  {
    // Assigned by the chain trigger under a lock: gapless and in chain order.
    seq: bigint('seq', { mode: 'number' }).primaryKey().default(sql`0`),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    source: text('source').notNull().default('sre-agent'),
    kind: text('kind').notNull(),
    actorType: text('actor_type').notNull(),
    actor: text('actor').notNull(),
    incidentId: text('incident_id'),
    proposalId: text('proposal_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    prevHash: text('prev_hash').notNull().default(''),
    hash: text('hash').notNull().default(''),
  },
  (t) => [
    index('sre_actions_time_idx').on(t.occurredAt),
    index('sre_actions_incident_idx').on(t.incidentId),
    index('sre_actions_proposal_idx').on(t.proposalId),
    index('sre_actions_kind_idx').on(t.kind, t.occurredAt),
  ],
);
