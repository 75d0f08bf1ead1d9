import { isDomainError } from '../../../domain/errors.js';
import { answerThreadMessage, incidentForThread } from '../../../proposals/index.js';
import { slackActor, type SlackContext } from '../../context.js';

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
  const incidentId = await incidentForThread(ctx.deps, { channel: m.channel, threadTs: m.threadTs });
  if (!incidentId) return;
  const inst = await ctx.installation().catch(() => undefined);
  if (!inst || m.teamId !== inst.teamId) {
    ctx.logger.warn({ incident_id: incidentId, team: m.teamId }, 'thread message from another workspace ignored');
    return;
  }
  const mention = new RegExp(`<@${inst.botUserId}>`, 'g');
  const text = m.text.replace(mention, '').trim();
  if (!text) return;
  try {
    const verdict = await ctx.approvers.check({ userId: m.user, teamId: m.teamId });
    await answerThreadMessage(ctx.deps, { incidentId, receiptKey: `${m.channel}:${m.ts}`, actor: slackActor({ id: m.user, teamId: m.teamId }), text, mayRevise: verdict.ok });
  } catch (e) {
    if (isDomainError(e)) ctx.logger.info({ incident_id: incidentId, code: e.code }, 'thread message not answered');
    else ctx.logger.error({ err: e, incident_id: incidentId }, 'thread conversation failed');
  }
}
