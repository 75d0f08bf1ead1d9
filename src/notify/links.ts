import { withoutTrailingSlashes } from '../domain/text.js';
import { randomBytes } from 'node:crypto';
import { and, eq, gt } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import { hashToken } from '../domain/decision-link.js';
import type { Decision } from '../domain/proposal.js';

/**
 * Issuing email decision links (the token scheme is domain/decision-link.ts; consuming one is the
 * proposals' `decideByLink`).
 */

const t = schema.decisionLinks;
export { hashToken };

export function decideUrl(publicBaseUrl: string, token: string): string {
  return `${withoutTrailingSlashes(publicBaseUrl)}/sre/decide/${token}`;
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

/** Recipients whose mail for this outbox row was already accepted (a retry skips them). */
export async function mailedRecipients(ex: Executor, outboxId: number): Promise<Set<string>> {
  const rows = await ex.selectDistinct({ recipient: t.recipient }).from(t).where(and(eq(t.outboxId, outboxId), gt(t.mailedAt, new Date(0))));
  return new Set(rows.map((r) => r.recipient));
}

export async function markMailed(ex: Executor, outboxId: number, recipient: string, now: Date): Promise<void> {
  await ex.update(t).set({ mailedAt: now }).where(and(eq(t.outboxId, outboxId), eq(t.recipient, recipient)));
}
