import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Actor } from '../../../domain/proposal.js';
import { authorizeDecision } from '../../authorize.js';
import { tellUser, userMessage, type Reply, type SlackContext } from '../../context.js';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export interface GatedClick {
  proposalId: string;
  actor: Actor;
  reply: Reply;
  body: BlockButtonAction;
}

/**
 * Every proposal button goes through here: ack at once, check the clicker is an approver (denials
 * are answered and audited by authorizeDecision), then run; a failure is answered in Slack —
 * a domain error in its own words, anything else as an apology with a logged reference.
 */
export function gatedButton(ctx: SlackContext, what: string, run: (click: GatedClick) => Promise<void>) {
  return async ({ ack, body, action }: ButtonArgs): Promise<void> => {
    await ack();
    const proposalId = action.value ?? '';
    const reply: Reply = { user: body.user.id, channel: body.channel?.id, threadTs: body.message?.thread_ts as string | undefined, responseUrl: body.response_url };
    const user = { id: body.user.id, teamId: body.user.team_id ?? body.team?.id, name: body.user.username ?? body.user.name };
    const actor = await authorizeDecision(ctx, user, proposalId, reply);
    if (!actor) return;
    try {
      await run({ proposalId, actor, reply, body });
    } catch (e) {
      await tellUser(ctx, reply, userMessage(ctx, e, what));
    }
  };
}
