import { recordDenied } from '../proposals/index.js';
import type { Actor } from '../domain/proposal.js';
import { slackActor, tellUser, type Reply, type SlackContext } from './context.js';

export interface SlackUser {
  id: string;
  teamId: string | undefined;
  name?: string | undefined;
}

/**
 * The gate in front of every Slack decision: an approver of the installed workspace gets an Actor;
 * anyone else is told why, and the refusal lands in the audit trail.
 */
export async function authorizeDecision(ctx: SlackContext, user: SlackUser, proposalId: string, reply: Reply): Promise<Actor | undefined> {
  const actor = slackActor(user);
  const verdict = await ctx.approvers.check({ userId: user.id, teamId: user.teamId });
  if (verdict.ok) return actor;
  ctx.logger.warn({ proposal_id: proposalId, user: user.id, reason: verdict.reason }, 'slack decision refused');
  try {
    await recordDenied(ctx.deps, { proposalId, actor, reason: verdict.reason });
  } catch (e) {
    ctx.logger.error({ err: e, proposal_id: proposalId }, 'could not audit a refused decision');
  }
  await tellUser(ctx, reply, `You are not allowed to decide on proposals from Slack: ${verdict.reason}.`);
  return undefined;
}
