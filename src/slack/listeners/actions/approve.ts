import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { decide } from '../../../proposals/decide.js';
import { authorizeDecision } from '../../authorize.js';
import { tellUser, userMessage, type Reply, type SlackContext } from '../../context.js';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function replyFor(body: BlockButtonAction): Reply {
  return { user: body.user.id, channel: body.channel?.id, threadTs: body.message?.thread_ts as string | undefined, responseUrl: body.response_url };
}

export function userOf(body: BlockButtonAction) {
  return { id: body.user.id, teamId: body.user.team_id ?? body.team?.id, name: body.user.username ?? body.user.name };
}

/** Approve: ack at once, then the exactly-once decision; a losing click is told who won. */
export function approveListener(ctx: SlackContext) {
  return async ({ ack, body, action }: ButtonArgs): Promise<void> => {
    await ack();
    const proposalId = action.value ?? '';
    const reply = replyFor(body);
    const actor = await authorizeDecision(ctx, userOf(body), proposalId, reply);
    if (!actor) return;
    try {
      const p = await decide(ctx.deps, { proposalId, decision: 'approve', actor });
      // The card in the thread is edited through the outbox; an ephemeral list needs a word back.
      if (body.container?.is_ephemeral) await tellUser(ctx, reply, `Approved ${p.id}: ${p.status}. The card in the incident thread shows the result.`);
    } catch (e) {
      await tellUser(ctx, reply, userMessage(ctx, e, 'the approval'));
    }
  };
}
