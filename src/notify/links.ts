import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import type { Decision } from '../domain/proposal.js';

/**
 * Email decision links. A token is 32 random bytes (base64url); the database keeps only
 * HMAC-SHA256(linkSecret, token), so neither a leaked table nor a guessed id opens a link.
 */

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const t = schema.decisionLinks;

export function isWellFormedToken(token: string): boolean {
  return TOKEN.test(token);
}

export function hashToken(linkSecret: string, token: string): string {
  return createHmac('sha256', linkSecret).update(`decision-link:${token}`).digest('hex');
}

export function decideUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/sre/decide/${token}`;
}

export interface IssuedLinks {
  approve: string;
  reject: string;
}

/** Issues an approve and a reject token for one recipient of one proposal; returns the raw tokens. */
export async function issueDecisionLinks(
  ex: Executor,
  opts: { linkSecret: string; proposalId: string; recipient: string; now: Date; ttlMs: number; outboxId?: number },
): Promise<IssuedLinks> {
  const approve = randomBytes(32).toString('base64url');
  const reject = randomBytes(32).toString('base64url');
  const expiresAt = new Date(opts.now.getTime() + opts.ttlMs);
  const row = (token: string, decision: Decision) => ({
    tokenHash: hashToken(opts.linkSecret, token),
    proposalId: opts.proposalId,
    recipient: opts.recipient,
    decision,
    expiresAt,
    createdAt: opts.now,
    outboxId: opts.outboxId ?? null,
  });
  await ex.insert(t).values([row(approve, 'approve'), row(reject, 'reject')]);
  return { approve, reject };
}

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

/** Recipients whose mail for this outbox row was already accepted (a retry skips them). */
export async function mailedRecipients(ex: Executor, outboxId: number): Promise<Set<string>> {
  const rows = await ex.selectDistinct({ recipient: t.recipient }).from(t).where(and(eq(t.outboxId, outboxId), gt(t.mailedAt, new Date(0))));
  return new Set(rows.map((r) => r.recipient));
}

export async function markMailed(ex: Executor, outboxId: number, recipient: string, now: Date): Promise<void> {
  await ex.update(t).set({ mailedAt: now }).where(and(eq(t.outboxId, outboxId), eq(t.recipient, recipient)));
}
