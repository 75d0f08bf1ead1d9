import { SLASH_COMMAND } from './ids.js';
import { safe } from './escape.js';
import type { SlackMessage } from './message.js';

/** `/sre help`, also the answer to an unknown subcommand (which is shown back, escaped). */
export function buildHelp(unknown?: string): SlackMessage {
  const lines = [
    `*${SLASH_COMMAND} pending* — pending proposals, newest first, each with approve / reject`,
    `*${SLASH_COMMAND} show ID* — one proposal with its risk factors and state`,
    `*${SLASH_COMMAND} status* — whether the agent is paused (by whom, why, since when) and its mode`,
    `*${SLASH_COMMAND} pause REASON* — the kill switch: nothing executes until resumed; proposals are still made`,
    `*${SLASH_COMMAND} resume* — turn the kill switch off`,
    `*${SLASH_COMMAND} silence MATCHER… DURATION REASON* — e.g. \`provider=openai 2h migration\`: matching incidents propose nothing, page nobody and execute nothing until it ends`,
    `*${SLASH_COMMAND} silences* · *${SLASH_COMMAND} unsilence ID* — the silences and maintenance windows; end one now`,
    `*${SLASH_COMMAND} help* — this message`,
    'In an incident thread, write a message or mention the bot to ask about the incident or for another action ("re-route instead").',
    'Only approvers (SRE_APPROVERS) can approve, reject, revert, pause, resume, silence, unsilence or see the status; every decision is recorded in the audit trail.',
  ];
  const blocks: SlackMessage['blocks'] = [];
  if (unknown !== undefined) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `Unknown command \`${safe(unknown, 100)}\`.` } });
  }
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } });
  return { text: `${SLASH_COMMAND} pending | show ID | status | pause REASON | resume | help`, blocks };
}
