import { revert } from '../../../proposals/revert.js';
import { authorizeDecision } from '../../authorize.js';
import { tellUser, userMessage, type SlackContext } from '../../context.js';
import { replyFor, userOf, type ButtonArgs } from './approve.js';

/** Revert: the same gate and audit as a decision; the service admits one revert per proposal. */
export function revertListener(ctx: SlackContext) {
  return async ({ ack, body, action }: ButtonArgs): Promise<void> => {
    await ack();
    const proposalId = action.value ?? '';
    const reply = replyFor(body);
    const actor = await authorizeDecision(ctx, userOf(body), proposalId, reply);
    if (!actor) return;
    try {
      await revert(ctx.deps, { proposalId, actor });
    } catch (e) {
      await tellUser(ctx, reply, userMessage(ctx, e, 'the revert'));
    }
  };
}
