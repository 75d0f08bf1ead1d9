import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Console sessions ended by signing out. The cookie is signed and stateless, so a copy of it would
 * work until it expires; every signed-in request checks its session id here, and a sign-out writes
 * it. Rows are kept until the session would have expired anyway (then pruned).
 */
export const consoleSessionRevocations = pgTable('console_session_revocations', {
  /** sha256 of the session's id (the cookie's nonce), never the id itself. */
  sidHash: text('sid_hash').primaryKey(),
  /** When the cookie would have expired: after this the row proves nothing and is deleted. */
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }).notNull(),
});
