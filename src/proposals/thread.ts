import { and, eq, lt } from 'drizzle-orm';
import { schema } from '../db/client.js';
import type { Actor } from '../domain/proposal.js';
import { reader } from './context.js';
import { converse } from './converse.js';
import type { ProposalView, ServiceDeps } from './types.js';

/** Receipts only need to outlive Slack's retries (minutes); a week is generous and keeps the table small. */
const RECEIPT_TTL_MS = 7 * 24 * 3_600_000;

/** The incident whose Slack thread this is, if any. */
export async function incidentForThread(deps: ServiceDeps, input: { channel: string; threadTs: string }): Promise<string | undefined> {
  const i = schema.incidents;
  const [row] = await reader(deps)
    .select({ id: i.id })
    .from(i)
    .where(and(eq(i.slackChannel, input.channel), eq(i.slackTs, input.threadTs)))
    .limit(1);
  return row?.id;
}

/**
 * A person's message in an incident thread, answered once however often it arrives (Slack's
 * retries, the app_mention and message events of one message): the first delivery of `receiptKey`
 * records it and converses; later ones return `duplicate`.
 */
export async function answerThreadMessage(
  deps: ServiceDeps,
  input: { incidentId: string; receiptKey: string; actor: Actor; text: string; mayRevise: boolean },
): Promise<{ duplicate: true } | { duplicate: false; reply: string; revision?: ProposalView }> {
  const r = schema.slackReceipts;
  const first = await reader(deps).insert(r).values({ key: input.receiptKey }).onConflictDoNothing().returning({ key: r.key });
  if (first.length === 0) return { duplicate: true };
  await reader(deps).delete(r).where(lt(r.receivedAt, new Date(deps.clock.nowMs() - RECEIPT_TTL_MS)));
  const answer = await converse(deps, { incidentId: input.incidentId, actor: input.actor, text: input.text, mayRevise: input.mayRevise });
  return { duplicate: false, ...answer };
}
