import type { SlashCommand } from '@slack/bolt';
import { agentStatus, pause, recordDenied, resume } from '../../../proposals/index.js';
import { buildAgentStatus } from '../../blocks/agent-status.js';
import { safe } from '../../blocks/escape.js';
import type { SlackMessage } from '../../blocks/message.js';
import { slackActor, type SlackContext } from '../../context.js';

export const KILL_SWITCH_COMMANDS = ['pause', 'resume', 'status'] as const;
export type KillSwitchCommand = (typeof KILL_SWITCH_COMMANDS)[number];

const plainText = (text: string): SlackMessage => ({ text, blocks: [{ type: 'section', text: { type: 'plain_text', text } }] });

/**
 * `/sre pause REASON | resume REASON | status`, approvers only (SRE_APPROVERS, installed workspace): a
 * refusal is audited and changes nothing. The reason is the rest of the command text.
 */
export async function killSwitchCommand(ctx: SlackContext, command: SlashCommand, sub: KillSwitchCommand, rest: string): Promise<SlackMessage> {
  const user = { id: command.user_id, teamId: command.team_id, name: command.user_name };
  const actor = slackActor(user);
  const verdict = await ctx.approvers.check({ userId: user.id, teamId: user.teamId });
  if (!verdict.ok) {
    ctx.logger.warn({ user: user.id, command: sub, reason: verdict.reason }, 'slack kill-switch command refused');
    await recordDenied(ctx.deps, { proposalId: `/sre ${sub}`, actor, reason: verdict.reason }).catch((e: unknown) => ctx.logger.error({ err: e }, 'could not audit a refused command'));
    return plainText(`You are not allowed to ${sub === 'status' ? 'see the kill switch' : `${sub} the agent`} from Slack: ${verdict.reason}.`);
  }
  if (sub === 'status') return buildAgentStatus(await agentStatus(ctx.deps));
  if (sub === 'resume') {
    if (!rest.trim()) return plainText('Say why: /sre resume REASON (recorded in the audit trail). Nothing was changed.');
    const s = await resume(ctx.deps, { reason: rest.trim(), actor });
    await announce(ctx, buildAnnouncement('resumed', user.id, rest.trim()));
    return buildAgentStatus(s, 'resumed');
  }
  if (!rest.trim()) return plainText('Say why: /sre pause REASON (the reason is shown on every proposal while paused). Nothing was changed.');
  const s = await pause(ctx.deps, { reason: rest, actor });
  await announce(ctx, buildAnnouncement('paused', user.id, rest.trim()));
  return buildAgentStatus(s, 'paused');
}

/** "<@U1> paused the agent: deploy freeze. Nothing executes until /sre resume." */
export function buildAnnouncement(done: 'paused' | 'resumed', userId: string, reason: string | undefined): SlackMessage {
  const by = /^[UW][A-Z0-9]{1,20}$/.test(userId) ? `<@${userId}>` : 'Someone';
  const text =
    done === 'paused'
      ? `:octagonal_sign: ${by} paused the agent: ${safe(reason ?? '', 500)}. Nothing executes until \`/sre resume\`; proposals are still made.`
      : `:arrow_forward: ${by} resumed the agent${reason ? `: ${safe(reason, 500)}` : ''}. Approved and automatic actions execute again.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Pause and resume concern everyone on call: said in the incident channel, a failure only logged. */
async function announce(ctx: SlackContext, msg: SlackMessage): Promise<void> {
  if (!ctx.incidentChannel) return;
  await ctx.client.chat.postMessage({ channel: ctx.incidentChannel, text: msg.text, blocks: msg.blocks, unfurl_links: false, unfurl_media: false }).catch((e: unknown) => ctx.logger.warn({ err: e }, 'could not announce the kill switch in the incident channel'));
}
