import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { View } from '@slack/types';
import type { ProposalView } from '../../../domain/proposal-view.js';
import { revert } from '../../../proposals/index.js';
import { authorizeDecision } from '../../authorize.js';
import { LIMITS, safe, truncate } from '../../blocks/escape.js';
import { REJECT_REASON_MAX, VIEW_REVERT } from '../../blocks/ids.js';
import { parseRejectMetadata, proposalModal, type RejectModalContext } from '../../blocks/reject-modal.js';
import { tellUser, userMessage, type Reply, type SlackContext } from '../../context.js';

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export const REVERT_REASON_BLOCK = 'revert_reason';
export const REVERT_REASON_INPUT = 'revert_reason_input';

/** Reverting an action two people approved needs a reason, as a pause does: this modal asks for it. */
export function buildRevertModal(p: Pick<ProposalView, 'id' | 'action' | 'target'>, ctx: RejectModalContext): View {
  return proposalModal(VIEW_REVERT, ctx, { title: 'Revert action', submit: 'Revert' }, [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`Revert *${safe(p.action, 100)}* on ${safe(p.target, 200)}? Two people approved it.\n\`${safe(p.id, 100)}\``, LIMITS.sectionText) } },
    {
      type: 'input',
      block_id: REVERT_REASON_BLOCK,
      label: { type: 'plain_text', text: 'Reason (required; recorded in the audit trail)' },
      element: { type: 'plain_text_input', action_id: REVERT_REASON_INPUT, multiline: true, max_length: REJECT_REASON_MAX },
    },
  ]);
}

/** The revert modal submitted: the approver check again (it is a new request), then the revert with the reason. */
export function revertReasonListener(ctx: SlackContext) {
  return async ({ ack, body, view }: ViewArgs): Promise<void> => {
    const meta = parseRejectMetadata(view.private_metadata);
    const raw = view.state.values[REVERT_REASON_BLOCK]?.[REVERT_REASON_INPUT]?.value;
    const reason = typeof raw === 'string' ? raw.trim().slice(0, REJECT_REASON_MAX) : '';
    if (!meta || !reason) {
      await ack({ response_action: 'errors', errors: { [REVERT_REASON_BLOCK]: meta ? 'Say why it is reverted.' : 'This dialog has expired; use the card again.' } });
      return;
    }
    await ack();
    const reply: Reply = { user: body.user.id, channel: meta.channel, responseUrl: meta.responseUrl };
    const user = { id: body.user.id, teamId: body.user.team_id ?? body.team?.id, name: body.user.name };
    const actor = await authorizeDecision(ctx, user, meta.proposalId, reply);
    if (!actor) return;
    try {
      await revert(ctx.deps, { proposalId: meta.proposalId, actor, reason });
    } catch (e) {
      await tellUser(ctx, reply, userMessage(ctx, e, 'the revert'));
    }
  };
}
