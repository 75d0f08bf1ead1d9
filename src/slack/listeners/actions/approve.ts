import { isDomainError } from '../../../domain/errors.js';
import { actionInWords } from '../../../domain/words.js';
import { decide, getProposal } from '../../../proposals/index.js';
import { buildProposalCard } from '../../blocks/proposal-card.js';
import { tellUser, type SlackContext } from '../../context.js';
import { gatedButton, type GatedClick } from './gate.js';

/**
 * A refused approval (paused, no longer pending, …) is written on the card itself, where the
 * clicker and everyone else in the thread look, not only in a message to one person.
 */
async function showRefusal(ctx: SlackContext, click: GatedClick, reason: string): Promise<void> {
  const channel = click.body.channel?.id;
  const ts = click.body.message?.ts as string | undefined;
  if (!channel || !ts || click.body.container?.is_ephemeral) return;
  const p = await getProposal(ctx.deps, click.proposalId, { past: true });
  if (!p) return;
  const msg = buildProposalCard(p, { now: ctx.deps.clock.now(), policy: ctx.deps.policy, refusal: reason });
  await ctx.client.chat.update({ channel, ts, text: msg.text, blocks: msg.blocks }).catch((e: unknown) => ctx.logger.warn({ err: e, proposal_id: p.id }, 'could not show the refusal on the card'));
}

/** Approve: the exactly-once decision; a losing click is told who won, and a refusal shows on the card. */
export function approveListener(ctx: SlackContext) {
  return gatedButton(ctx, 'the approval', async (click) => {
    const { proposalId, actor, reply, body } = click;
    let p;
    try {
      p = await decide(ctx.deps, { proposalId, decision: 'approve', actor });
    } catch (e) {
      if (isDomainError(e)) await showRefusal(ctx, click, e.message);
      throw e;
    }
    const what = actionInWords(p.action, p.params);
    if (p.approvals_required > 1 && p.status === 'pending') {
      return await tellUser(ctx, reply, `Your approval is recorded (${p.approvals.length} of ${p.approvals_required}). A second person must approve before "${what}" runs.`);
    }
    // The card in the thread is edited through the outbox; an ephemeral list needs a word back.
    if (body.container?.is_ephemeral) await tellUser(ctx, reply, `Approved: ${what}. The card in the incident thread shows the result.`);
  });
}
