import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { getProposal } from '../../../proposals/index.js';
import { buildReasoning } from '../../blocks/reasoning.js';
import type { SlackContext } from '../../context.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/**
 * "Full reasoning": the whole explanation, shown only to the person who asked, so the thread keeps
 * one short card. Reading needs no approver rights, only the installed workspace.
 */
export function reasoningListener(ctx: SlackContext) {
  return async ({ ack, body, action }: ButtonArgs): Promise<void> => {
    await ack();
    const inst = await ctx.installation().catch(() => undefined);
    const channel = body.channel?.id;
    if (!inst || (body.user.team_id ?? body.team?.id) !== inst.teamId || !channel) return;
    const p = await getProposal(ctx.deps, action.value ?? '');
    if (!p) return;
    const msg = buildReasoning(p);
    const threadTs = body.message?.thread_ts as string | undefined;
    await ctx.client.chat
      .postEphemeral({ channel, user: body.user.id, text: msg.text, blocks: msg.blocks, ...(threadTs ? { thread_ts: threadTs } : {}) })
      .catch((e: unknown) => ctx.logger.warn({ err: e, proposal_id: p.id }, 'could not show the reasoning'));
  };
}
