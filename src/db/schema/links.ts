import { bigint, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Email decision links. Only an HMAC of the token is stored, so a database leak yields no usable
 * link; each row binds one proposal, one recipient and one decision, and is consumed once.
 */
export const decisionLinks = pgTable(
  'decision_links',
  {
    tokenHash: text('token_hash').primaryKey(),
    proposalId: text('proposal_id').notNull(),
    recipient: text('recipient').notNull(),
    /** approve | reject */
    decision: text('decision').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** The outbox row whose mail carried the link; mailedAt marks that recipient's mail accepted, so a retry skips it. */
    outboxId: bigint('outbox_id', { mode: 'number' }),
    mailedAt: timestamp('mailed_at', { withTimezone: true }),
  },
  (t) => [index('decision_links_proposal_idx').on(t.proposalId), index('decision_links_outbox_idx').on(t.outboxId, t.recipient)],
);
