import type { App } from '@slack/bolt';
import { SLASH_COMMAND } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { sreCommandListener } from './sre.js';

export function registerCommands(app: App, ctx: SlackContext): void {
  app.command(SLASH_COMMAND, sreCommandListener(ctx));
}
