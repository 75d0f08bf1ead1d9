import type { App, BlockButtonAction } from '@slack/bolt';
import { ACTION_APPROVE, ACTION_REASONING, ACTION_REJECT, ACTION_REVERT } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { approveListener } from './approve.js';
import { reasoningListener } from './reasoning.js';
import { rejectListener } from './reject.js';
import { revertListener } from './revert.js';

export function registerActions(app: App, ctx: SlackContext): void {
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: ACTION_APPROVE }, approveListener(ctx));
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: ACTION_REJECT }, rejectListener(ctx));
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: ACTION_REVERT }, revertListener(ctx));
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: ACTION_REASONING }, reasoningListener(ctx));
}
