import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { handleThreadMessage } from './thread-message.js';

/** @sre-agent in an incident thread; mentions elsewhere are ignored. (Events are acked by Bolt.) */
export function appMentionListener(ctx: SlackContext) {
  return async ({ event, body }: SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs): Promise<void> => {
    if (event.bot_id) return;
    await handleThreadMessage(ctx, {
      channel: event.channel,
      threadTs: event.thread_ts,
      ts: event.ts,
      user: event.user,
      teamId: event.user_team ?? event.team ?? body.team_id,
      text: event.text,
    });
  };
}
