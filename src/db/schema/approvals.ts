import { integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Human approvals of a proposal, in order. The primary key (proposal, seq) admits one second
 * approval however many race for it; the unique (proposal, approver) admits each person once.
 */
export const proposalApprovals = pgTable(
  'proposal_approvals',
  {
    proposalId: text('proposal_id').notNull(),
    /** 1 for the first approval, 2 for the second (two-person rule). */
    seq: integer('seq').notNull(),
    /** Stable identity: person:NAME when SRE_PEOPLE names the approver, else slack:U…, operator:NAME or email:ADDRESS: what "the same person" means. */
    approver: text('approver').notNull(),
    /** What is shown ("alice", "bob (slack U0B)"). */
    name: text('name').notNull(),
    via: text('via').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.proposalId, t.seq] }), uniqueIndex('proposal_approvals_one_per_person').on(t.proposalId, t.approver)],
);
