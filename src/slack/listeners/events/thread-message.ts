import { and, eq, lt } from 'drizzle-orm';
import { schema } from '../../../db/client.js';
import { isDomainError } from '../../../domain/errors.js';
import { converse } from '../../../proposals/converse.js';
import { slackActor, type SlackContext } from '../../context.js';

const RECEIPT_TTL_MS = 7 * 24 * 3_600_000;

export interface ThreadMessageInput {
  channel: string;
  /** The parent's ts; undefined for a top-level message. */
  threadTs: string | undefined;
  ts: string;
  user: string | undefined;
  teamId: string | undefined;
  text: string;
}

/**
 * A human message in an incident thread (plain or mentioning the bot): recorded and answered by
 * the reasoner through `converse`, whose reply and any revision reach Slack through the outbox.
 * Slack retries and the app_mention + message pair for one message are answered once (receipts).
 */
export async function handleThreadMessage(ctx: SlackContext, m: ThreadMessageInput): Promise<void> {
  if (!m.threadTs || m.threadTs === m.ts || !m.user) return;
  const [incident] = await ctx.deps.db
    .select({ id: schema.incidents.id })
    .from(schema.incidents)
    .where(and(eq(schema.incidents.slackChannel, m.channel), eq(schema.incidents.slackTs, m.threadTs)))
    .limit(1);
  if (!incident) return;
  const inst = await ctx.installation().catch(() => undefined);
  if (!inst || m.teamId !== inst.teamId) {
    ctx.logger.warn({ incident_id: incident.id, team: m.teamId }, 'thread message from another workspace ignored');
    return;
  }
  const mention = new RegExp(`<@${inst.botUserId}>`, 'g');
  const text = m.text.replace(mention, '').trim();
  if (!text) return;
  const first = await ctx.deps.db
    .insert(schema.slackReceipts)
    .values({ key: `${m.channel}:${m.ts}` })
    .onConflictDoNothing()
    .returning({ key: schema.slackReceipts.key });
  if (first.length === 0) return;
  // Receipts only need to outlive Slack's retries (minutes); a week is generous and keeps the table small.
  await ctx.deps.db.delete(schema.slackReceipts).where(lt(schema.slackReceipts.receivedAt, new Date(ctx.deps.clock.now().getTime() - RECEIPT_TTL_MS)));
  try {
    const verdict = await ctx.approvers.check({ userId: m.user, teamId: m.teamId });
    await converse(ctx.deps, { incidentId: incident.id, actor: slackActor({ id: m.user, teamId: m.teamId }), text, mayRevise: verdict.ok });
  } catch (e) {
    if (isDomainError(e)) ctx.logger.info({ incident_id: incident.id, code: e.code }, 'thread message not answered');
    else ctx.logger.error({ err: e, incident_id: incident.id }, 'thread conversation failed');
  }
}
