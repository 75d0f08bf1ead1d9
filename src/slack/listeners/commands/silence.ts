import type { SlashCommand } from '@slack/bolt';
import { matcherTokens, parseSilenceDuration } from '../../../domain/silences.js';
import { recordDenied } from '../../../proposals/index.js';
import { createSilence, endSilence, listSilences } from '../../../silences/index.js';
import type { SlackMessage } from '../../blocks/message.js';
import { buildSilenceEnded, buildSilenceList, buildSilenceMade } from '../../blocks/silences.js';
import { slackActor, type SlackContext } from '../../context.js';

export const SILENCE_COMMANDS = ['silence', 'silences', 'unsilence'] as const;
export type SilenceCommand = (typeof SILENCE_COMMANDS)[number];
export const isSilenceCommand = (s: string): s is SilenceCommand => (SILENCE_COMMANDS as readonly string[]).includes(s);

const plainText = (text: string): SlackMessage => ({ text, blocks: [{ type: 'section', text: { type: 'plain_text', text } }] });
const USAGE = 'Usage: /sre silence MATCHER… DURATION REASON, e.g. /sre silence provider=openai 2h migration (matchers: type, provider, model_group, team, scope_id, sla_id; a value may end in *). Nothing was changed.';

/** `provider=openai type=provider.* 2h migration tonight` into matchers, a duration and a reason; a problem in words otherwise. */
export function parseSilenceText(rest: string): { matchers: Record<string, string>; forMs: number; reason: string } | { problem: string } {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  const firstPlain = words.findIndex((w) => !w.includes('='));
  const tokens = matcherTokens(firstPlain < 0 ? words : words.slice(0, firstPlain));
  if (!tokens.ok) return { problem: `${tokens.problem}. ${USAGE}` };
  if (Object.keys(tokens.value).length === 0) return { problem: `No matcher: a silence needs at least one, such as provider=openai. ${USAGE}` };
  const duration = firstPlain < 0 ? undefined : words[firstPlain]!;
  const forMs = duration === undefined ? undefined : parseSilenceDuration(duration);
  if (forMs === undefined) return { problem: `${duration === undefined ? 'No duration' : `"${duration.slice(0, 30)}" is not a duration`}: say how long, such as 90m, 2h or 1d (at most 7 days). ${USAGE}` };
  const reason = words.slice(firstPlain + 1).join(' ');
  if (!reason) return { problem: `Say why: the reason is shown on every incident the silence holds. ${USAGE}` };
  return { matchers: tokens.value, forMs, reason };
}

/**
 * `/sre silence MATCHER… DURATION REASON | silences | unsilence ID`. Making and ending a silence
 * is for approvers only (SRE_APPROVERS, installed workspace), as deciding is; a refusal is audited
 * and changes nothing. Anyone in the workspace may list them.
 */
export async function silenceCommand(ctx: SlackContext, command: SlashCommand, sub: SilenceCommand, rest: string): Promise<SlackMessage> {
  const { deps } = ctx;
  const zone = deps.policy.timeZone;
  if (sub === 'silences') return buildSilenceList(await listSilences(deps), deps.clock.now(), zone);
  const user = { id: command.user_id, teamId: command.team_id, name: command.user_name };
  const actor = slackActor(user);
  const verdict = await ctx.approvers.check({ userId: user.id, teamId: user.teamId });
  if (!verdict.ok) {
    ctx.logger.warn({ user: user.id, command: sub, reason: verdict.reason }, 'slack silence command refused');
    await recordDenied(deps, { proposalId: `/sre ${sub}`, actor, reason: verdict.reason }).catch((e: unknown) => ctx.logger.error({ err: e }, 'could not audit a refused command'));
    return plainText(`You are not allowed to ${sub === 'silence' ? 'make' : 'end'} a silence from Slack: ${verdict.reason}. Nothing was changed.`);
  }
  if (sub === 'unsilence') {
    const id = rest.trim().split(/\s+/)[0];
    if (!id) return plainText('Usage: /sre unsilence ID (the ids are in /sre silences). Nothing was changed.');
    return buildSilenceEnded(await endSilence(deps, { id, actor }));
  }
  const parsed = parseSilenceText(rest);
  if ('problem' in parsed) return plainText(parsed.problem);
  return buildSilenceMade(await createSilence(deps, { matchers: parsed.matchers, forMs: parsed.forMs, reason: parsed.reason, actor }), deps.clock.now(), zone);
}
