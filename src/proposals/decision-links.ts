import { timingSafeEqual } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import { hashToken, isWellFormedToken } from '../domain/decision-link.js';
import type { Decision } from '../domain/proposal.js';

/** The stored side of email decision links: read one, consume it once, give it back. */

const t = schema.decisionLinks;

export interface DecisionLink {
  tokenHash: string;
  proposalId: string;
  recipient: string;
  decision: Decision;
  expiresAt: Date;
  usedAt: Date | null;
}

export type LinkLookup =
  | { ok: true; link: DecisionLink }
  | { ok: false; reason: 'malformed' | 'unknown' | 'expired' | 'used'; link?: DecisionLink };

/** Reads a link without changing it (GET, HEAD). */
export async function lookupDecisionLink(ex: Executor, linkSecret: string, token: string, now: Date): Promise<LinkLookup> {
  if (!isWellFormedToken(token)) return { ok: false, reason: 'malformed' };
  const hash = hashToken(linkSecret, token);
  const [row] = await ex.select().from(t).where(eq(t.tokenHash, hash)).limit(1);
  // The primary-key lookup already matched; the constant-time compare guards against a collation surprise.
  if (!row || !timingSafeEqual(Buffer.from(row.tokenHash), Buffer.from(hash))) return { ok: false, reason: 'unknown' };
  const link = linkOf(row);
  if (row.usedAt) return { ok: false, reason: 'used', link };
  if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', link };
  return { ok: true, link };
}

/**
 * Consumes a link: one conditional UPDATE, so two concurrent POSTs with the same token see one
 * winner. Consuming one decision's token also retires the recipient's other token for that proposal.
 */
export async function consumeDecisionLink(ex: Executor, tokenHash: string, now: Date): Promise<DecisionLink | undefined> {
  const [row] = await ex
    .update(t)
    .set({ usedAt: now })
    .where(and(eq(t.tokenHash, tokenHash), isNull(t.usedAt), gt(t.expiresAt, now)))
    .returning();
  if (!row) return undefined;
  await ex
    .update(t)
    .set({ usedAt: now })
    .where(and(eq(t.proposalId, row.proposalId), eq(t.recipient, row.recipient), isNull(t.usedAt)));
  return linkOf(row);
}

function linkOf(row: typeof t.$inferSelect): DecisionLink {
  return {
    tokenHash: row.tokenHash,
    proposalId: row.proposalId,
    recipient: row.recipient,
    decision: row.decision === 'reject' ? 'reject' : 'approve',
    expiresAt: row.expiresAt,
    usedAt: row.usedAt,
  };
}

/** Gives a consumed link back (the decision did not happen for a reason that passes: the agent was paused). */
export async function releaseDecisionLink(ex: Executor, link: Pick<DecisionLink, 'proposalId' | 'recipient'>): Promise<void> {
  await ex.update(t).set({ usedAt: null }).where(and(eq(t.proposalId, link.proposalId), eq(t.recipient, link.recipient)));
}
