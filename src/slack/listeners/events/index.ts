import type { App } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { appMentionListener } from './app-mention.js';
import { threadMessageListener } from './message.js';

export function registerEvents(app: App, ctx: SlackContext): void {
  app.event('app_mention', appMentionListener(ctx));
  app.message(threadMessageListener(ctx));
}
