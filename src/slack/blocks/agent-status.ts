import type { AgentStatus } from '../../domain/policy.js';
import { safe, slackDate } from './escape.js';
import { who } from './state-words.js';
import type { SlackMessage } from './message.js';

/** `/sre status | pause | resume`: the agent's mode and kill switch, with who paused, when and why. */
export function buildAgentStatus(s: AgentStatus, done?: 'paused' | 'resumed'): SlackMessage {
  const head = done === 'paused' ? ':octagonal_sign: *Paused.* ' : done === 'resumed' ? ':arrow_forward: *Resumed.* ' : '';
  const state = s.paused
    ? `:octagonal_sign: *The agent is paused* by ${who(s.paused_by)}${s.paused_at ? ` since ${slackDate(s.paused_at)}` : ''}: ${safe(s.paused_reason ?? '', 500)}\nNothing executes (auto-approval is off, approvals are refused); proposals are still made. \`/sre resume\` to resume.`
    : ':arrow_forward: *The agent is running* (not paused).';
  const mode = `Mode: *${s.mode}*${s.mode === 'shadow' ? ' (proposes and asks, never executes)' : ''}`;
  return {
    text: s.paused ? `Agent paused by ${who(s.paused_by)}` : 'Agent running',
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${head}${state}\n${mode}` } }],
  };
}
