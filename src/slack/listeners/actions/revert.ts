import { getProposal, revert } from '../../../proposals/index.js';
import type { SlackContext } from '../../context.js';
import { buildRevertModal } from '../views/revert-reason.js';
import { gatedButton } from './gate.js';

/**
 * Revert: the same gate and audit as a decision; the service admits one revert per proposal. An
 * action two people approved asks for a reason first (a modal; the revert happens on submit).
 */
export function revertListener(ctx: SlackContext) {
  return gatedButton(ctx, 'the revert', async ({ proposalId, actor, body }) => {
    const p = await getProposal(ctx.deps, proposalId);
    if (p && p.approvals_required >= 2) {
      await ctx.client.views.open({ trigger_id: body.trigger_id, view: buildRevertModal(p, { proposalId, channel: body.channel?.id, responseUrl: body.response_url }) });
      return;
    }
    await revert(ctx.deps, { proposalId, actor });
  });
}
