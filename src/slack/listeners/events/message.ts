import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { handleThreadMessage } from './thread-message.js';

/** Plain human replies in threads; edits, joins and bot posts (subtypes, bot_id) are not conversation. */
export function threadMessageListener(ctx: SlackContext) {
  return async ({ message, body }: SlackEventMiddlewareArgs<'message'> & AllMiddlewareArgs): Promise<void> => {
    if (message.subtype !== undefined) return;
    if ('bot_id' in message && message.bot_id) return;
    await handleThreadMessage(ctx, {
      channel: message.channel,
      threadTs: message.thread_ts,
      ts: message.ts,
      user: message.user,
      teamId: message.team ?? body.team_id,
      text: message.text ?? '',
    });
  };
}
