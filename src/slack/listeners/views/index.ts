import type { App, ViewSubmitAction } from '@slack/bolt';
import { VIEW_REJECT, VIEW_REVERT } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { rejectReasonListener } from './reject-reason.js';
import { revertReasonListener } from './revert-reason.js';

export function registerViews(app: App, ctx: SlackContext): void {
  app.view<ViewSubmitAction>({ callback_id: VIEW_REJECT, type: 'view_submission' }, rejectReasonListener(ctx));
  app.view<ViewSubmitAction>({ callback_id: VIEW_REVERT, type: 'view_submission' }, revertReasonListener(ctx));
}
