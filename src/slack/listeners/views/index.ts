import type { App, ViewSubmitAction } from '@slack/bolt';
import { VIEW_REJECT } from '../../blocks/ids.js';
import type { SlackContext } from '../../context.js';
import { rejectReasonListener } from './reject-reason.js';

export function registerViews(app: App, ctx: SlackContext): void {
  app.view<ViewSubmitAction>({ callback_id: VIEW_REJECT, type: 'view_submission' }, rejectReasonListener(ctx));
}
