import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { getProposal, listProposals } from '../../../proposals/index.js';
import { escapeMrkdwn } from '../../blocks/escape.js';
import { buildHelp } from '../../blocks/help.js';
import type { SlackMessage } from '../../blocks/message.js';
import { buildPendingList } from '../../blocks/pending-list.js';
import { buildProposalCard } from '../../blocks/proposal-card.js';
import { respondTo, threadUrl, userMessage, type SlackContext } from '../../context.js';
import { KILL_SWITCH_COMMANDS, killSwitchCommand, type KillSwitchCommand } from './kill-switch.js';
import { isSilenceCommand, silenceCommand } from './silence.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** Reads the proposals a command shows; anyone in the installed workspace may look. */
async function answer(ctx: SlackContext, sub: string, arg: string | undefined): Promise<SlackMessage> {
  const inst = await ctx.installation().catch(() => undefined);
  if (sub === 'pending') {
    const pending = await listProposals(ctx.deps, { status: 'pending', limit: 100 });
    const items = pending.map((p) => ({ proposal: p, threadUrl: threadUrl(inst, p.incident.slack_channel, p.incident.slack_ts) }));
    return buildPendingList(items, ctx.deps.clock.now(), `${ctx.deps.publicBaseUrl}/sre`);
  }
  if (!arg) return buildHelp(sub);
  const p = await getProposal(ctx.deps, arg, { past: true });
  if (!p) return { text: 'Not found', blocks: [{ type: 'section', text: { type: 'plain_text', text: `No proposal with that id.` } }] };
  return buildProposalCard(p, { now: ctx.deps.clock.now(), policy: ctx.deps.policy });
}

const isKillSwitch = (s: string): s is KillSwitchCommand => (KILL_SWITCH_COMMANDS as readonly string[]).includes(s);

/** `/sre pending | show ID | status | pause REASON | resume | help`: ack at once, then answer ephemerally through the response_url. */
export function sreCommandListener(ctx: SlackContext) {
  return async ({ ack, command }: CommandArgs): Promise<void> => {
    const [sub = 'help', arg] = command.text.trim().split(/\s+/).filter(Boolean);
    const known = sub === 'pending' || sub === 'show' || isKillSwitch(sub) || isSilenceCommand(sub);
    if (!known) {
      // Help needs no I/O: it rides on the acknowledgement itself.
      await ack({ response_type: 'ephemeral', ...buildHelp(sub === 'help' ? undefined : sub) });
      return;
    }
    await ack();
    let msg: SlackMessage;
    const inst = await ctx.installation().catch(() => undefined);
    if (!inst || command.team_id !== inst.teamId) {
      msg = { text: 'This workspace is not the one the agent is installed in.', blocks: [] };
    } else {
      try {
        const rest = command.text.trim().slice(sub.length);
        if (isSilenceCommand(sub)) msg = await silenceCommand(ctx, command, sub, rest);
        else msg = isKillSwitch(sub) ? await killSwitchCommand(ctx, command, sub, rest) : await answer(ctx, sub, arg);
      } catch (e) {
        const text = userMessage(ctx, e, `/sre ${sub}`);
        msg = { text: escapeMrkdwn(text), blocks: [] };
      }
    }
    await respondTo(ctx, command.response_url, { response_type: 'ephemeral', replace_original: false, ...msg });
  };
}
