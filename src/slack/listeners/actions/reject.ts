import { alreadyDecided } from '../../../proposals/decide.js';
import { getProposal } from '../../../proposals/queries.js';
import { authorizeDecision } from '../../authorize.js';
import { buildRejectModal } from '../../blocks/reject-modal.js';
import { tellUser, userMessage, type SlackContext } from '../../context.js';
import { replyFor, userOf, type ButtonArgs } from './approve.js';

/** Reject: ack, check the approver, then open the reason modal (the decision happens on submit). */
export function rejectListener(ctx: SlackContext) {
  return async ({ ack, body, action }: ButtonArgs): Promise<void> => {
    await ack();
    const proposalId = action.value ?? '';
    const reply = replyFor(body);
    const actor = await authorizeDecision(ctx, userOf(body), proposalId, reply);
    if (!actor) return;
    try {
      const p = await getProposal(ctx.deps.db, proposalId, ctx.deps.publicBaseUrl);
      if (!p) return await tellUser(ctx, reply, `Proposal ${proposalId} was not found.`);
      if (p.status !== 'pending') return await tellUser(ctx, reply, alreadyDecided(p).message);
      await ctx.client.views.open({
        trigger_id: body.trigger_id,
        view: buildRejectModal(p, { proposalId, channel: body.channel?.id, responseUrl: body.response_url }),
      });
    } catch (e) {
      await tellUser(ctx, reply, userMessage(ctx, e, 'opening the reject dialog'));
    }
  };
}
