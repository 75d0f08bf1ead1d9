import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { decide } from '../../../proposals/index.js';
import { authorizeDecision } from '../../authorize.js';
import { REJECT_REASON_BLOCK, REJECT_REASON_INPUT, REJECT_REASON_MAX } from '../../blocks/ids.js';
import { parseRejectMetadata } from '../../blocks/reject-modal.js';
import { tellUser, userMessage, type Reply, type SlackContext } from '../../context.js';

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** The reject modal submitted: close it at once, then decide with the reason. */
export function rejectReasonListener(ctx: SlackContext) {
  return async ({ ack, body, view }: ViewArgs): Promise<void> => {
    const meta = parseRejectMetadata(view.private_metadata);
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [REJECT_REASON_BLOCK]: 'This dialog has expired; use the card again.' } });
      return;
    }
    await ack();
    const raw = view.state.values[REJECT_REASON_BLOCK]?.[REJECT_REASON_INPUT]?.value;
    const reason = typeof raw === 'string' && raw.trim() ? raw.trim().slice(0, REJECT_REASON_MAX) : undefined;
    const reply: Reply = { user: body.user.id, channel: meta.channel, responseUrl: meta.responseUrl };
    const user = { id: body.user.id, teamId: body.user.team_id ?? body.team?.id, name: body.user.name };
    const actor = await authorizeDecision(ctx, user, meta.proposalId, reply);
    if (!actor) return;
    try {
      await decide(ctx.deps, { proposalId: meta.proposalId, decision: 'reject', ...(reason ? { reason } : {}), actor });
    } catch (e) {
      await tellUser(ctx, reply, userMessage(ctx, e, 'the rejection'));
    }
  };
}
