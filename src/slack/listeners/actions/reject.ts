import { alreadyDecided, getProposal } from '../../../proposals/index.js';
import { buildRejectModal } from '../../blocks/reject-modal.js';
import { tellUser, type SlackContext } from '../../context.js';
import { gatedButton } from './gate.js';

/** Reject: open the reason modal (the decision happens on submit). */
export function rejectListener(ctx: SlackContext) {
  return gatedButton(ctx, 'opening the reject dialog', async ({ proposalId, reply, body }) => {
    const p = await getProposal(ctx.deps, proposalId);
    if (!p) return await tellUser(ctx, reply, `Proposal ${proposalId} was not found.`);
    if (p.status !== 'pending') return await tellUser(ctx, reply, alreadyDecided(p).message);
    await ctx.client.views.open({
      trigger_id: body.trigger_id,
      view: buildRejectModal(p, { proposalId, channel: body.channel?.id, responseUrl: body.response_url }),
    });
  });
}
