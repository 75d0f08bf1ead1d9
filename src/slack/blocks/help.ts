import { SLASH_COMMAND } from './ids.js';
import { safe } from './escape.js';
import type { SlackMessage } from './message.js';

/** `/sre help`, also the answer to an unknown subcommand (which is shown back, escaped). */
export function buildHelp(unknown?: string): SlackMessage {
  const lines = [
    `*${SLASH_COMMAND} pending* — pending proposals, newest first, each with approve / reject`,
    `*${SLASH_COMMAND} show ID* — one proposal with its risk factors and state`,
    `*${SLASH_COMMAND} help* — this message`,
    'In an incident thread, write a message or mention the bot to ask about the incident or for another action ("re-route instead").',
    'Only approvers (SRE_APPROVERS) can approve, reject or revert; every decision is recorded in the audit trail.',
  ];
  const blocks: SlackMessage['blocks'] = [];
  if (unknown !== undefined) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `Unknown command \`${safe(unknown, 100)}\`.` } });
  }
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } });
  return { text: `${SLASH_COMMAND} pending | show ID | help`, blocks };
}
