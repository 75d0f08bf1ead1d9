import { index, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Slack delivery state: which messages the agent posted for a proposal, and which inbound messages it handled. */

/** The thread messages of a proposal (its reasoning and its card), so a retry edits rather than re-posts. */
export const slackMessages = pgTable(
  'slack_messages',
  {
    /** The proposal's id; for an incident's closing summary (role `closing`), the incident's id. */
    proposalId: text('proposal_id').notNull(),
    /** reasoning | card | closing */
    role: text('role').notNull(),
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
    postedAt: timestamp('posted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.proposalId, t.role] })],
);

/** Inbound Slack messages already handled (channel:ts), so Slack retries and mention+message pairs answer once. */
export const slackReceipts = pgTable(
  'slack_receipts',
  {
    key: text('key').primaryKey(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('slack_receipts_time_idx').on(t.receivedAt)],
);
