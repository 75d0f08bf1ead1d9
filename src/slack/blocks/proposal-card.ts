import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { ACTION_IDS, specFor, type ActionId } from '../../domain/actions.js';
import { approvalProgress } from '../../domain/approvals.js';
import type { ProposalView } from '../../domain/proposal-view.js';
import { LIMITS, link, plain, safe, slackDate, truncate } from './escape.js';
import { ACTION_APPROVE, ACTION_REJECT, ACTION_REVERT } from './ids.js';
import type { SlackMessage } from './message.js';

export function actionSpec(action: string) {
  return (ACTION_IDS as readonly string[]).includes(action) ? specFor(action as ActionId) : undefined;
}

/** `key: value` lines of a flat-ish object, every key and value escaped and cut. */
export function formatObject(obj: Record<string, unknown> | null | undefined, maxValue = 300): string {
  if (!obj) return '';
  return Object.entries(obj)
    .map(([k, v]) => `${safe(k, 80)}: ${safe(typeof v === 'string' ? v : JSON.stringify(v) ?? String(v), maxValue)}`)
    .join('\n');
}

function codeBlock(body: string): string {
  return `\`\`\`${truncate(body || '(none)', LIMITS.sectionText - 8)}\`\`\``;
}

const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);

export function isAutoExecuted(p: Pick<ProposalView, 'route'>): boolean {
  return p.route === 'auto';
}

function reversibility(p: ProposalView): string {
  const spec = actionSpec(p.action);
  if (!spec) return p.reversible ? 'yes' : 'no';
  if (spec.undo === 'auto-restores') return 'yes — restores itself';
  if (spec.undo === 'revert') return 'yes — can be reverted';
  return 'no — one-shot';
}

export function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  const b: Button = { type: 'button', text: { type: 'plain_text', text: plain(text, LIMITS.buttonText) }, action_id: actionId, value: value.slice(0, LIMITS.buttonValue) };
  if (style) b.style = style;
  return b;
}

export const isShadow = (p: Pick<ProposalView, 'mode'>): boolean => p.mode === 'shadow';

/** Approve and reject for one proposal ("Would approve" in shadow); the block id keeps several apart in one message. */
export function decisionButtons(p: Pick<ProposalView, 'id' | 'mode'>): ActionsBlock {
  const [yes, no] = isShadow(p) ? ['Would approve', 'Would reject…'] : ['Approve', 'Reject…'];
  return {
    type: 'actions',
    block_id: `decide:${p.id}`.slice(0, 255),
    elements: [button(yes, ACTION_APPROVE, p.id, 'primary'), button(no, ACTION_REJECT, p.id, 'danger')],
  };
}

/** Shadow and two-person notes under the status line, or nothing. */
export function decisionNotes(p: ProposalView): string[] {
  const notes: string[] = [];
  if (isShadow(p)) notes.push(':ghost: *Shadow mode* — the agent proposes and asks, and never executes. Decisions are recorded as "would approve" / "would reject".');
  const progress = approvalProgress(p);
  if (progress) notes.push(`:ballot_box_with_check: *${safe(progress, 300)}* — a second person must approve before it executes`);
  else if (p.status === 'pending' && p.approvals_required > 1) notes.push(`:busts_in_silhouette: Needs approvals from ${p.approvals_required} different people (two-person rule)`);
  if (p.approvals.length > 1 && p.status !== 'pending') notes.push(`Approved by ${p.approvals.map((a) => safe(a.by, 200)).join(' and ')}`);
  return notes;
}

function revertButton(p: ProposalView): ActionsBlock {
  const b = button('Revert', ACTION_REVERT, p.id);
  b.confirm = {
    title: { type: 'plain_text', text: 'Revert this action?' },
    text: { type: 'mrkdwn', text: truncate(`This undoes ${safe(p.action, 100)} on ${safe(p.target, 200)}.`, 300) },
    confirm: { type: 'plain_text', text: 'Revert' },
    deny: { type: 'plain_text', text: 'Cancel' },
  };
  return { type: 'actions', block_id: `revert:${p.id}`.slice(0, 255), elements: [b] };
}

function who(by: string | null): string {
  return by ? safe(by, 200) : 'someone';
}

function when(at: string | null): string {
  return at ? slackDate(at) : 'an unknown time';
}

/** The line that says where the proposal stands, who moved it and when. */
export function statusLine(p: ProposalView): string {
  const auto = isAutoExecuted(p);
  const decided = auto ? `:robot_face: Executed automatically by policy at ${when(p.decided_at)}` : `:white_check_mark: Approved by ${who(p.decided_by)} at ${when(p.decided_at)}`;
  if (isShadow(p) && p.status === 'approved') {
    const by = auto ? 'the policy (auto-approve)' : who(p.decided_by);
    return `:ghost: *Would approve* — by ${by} at ${when(p.decided_at)}; shadow mode, nothing was executed`;
  }
  if (isShadow(p) && p.status === 'rejected') {
    const reason = p.decision_reason ? `\n> ${safe(p.decision_reason, 600)}` : '';
    return `:ghost: *Would reject* — by ${who(p.decided_by)} at ${when(p.decided_at)}${reason}`;
  }
  switch (p.status) {
    case 'pending': {
      const esc = p.escalated_at ? ` · escalated at ${slackDate(p.escalated_at)}` : '';
      return `:hourglass_flowing_sand: *Waiting for a decision* · expires ${slackDate(p.expires_at)}${esc}`;
    }
    case 'approved':
      return decided;
    case 'executing':
      return `${decided}\n:gear: Executing…`;
    case 'succeeded':
      return p.reverted_at
        ? `${decided}\n:white_check_mark: Executed\n:leftwards_arrow_with_hook: Reverted by ${who(p.reverted_by)} at ${when(p.reverted_at)}`
        : `${decided}\n:white_check_mark: *Executed successfully*`;
    case 'failed':
      return `${decided}\n:x: *Execution failed*`;
    case 'rejected': {
      const reason = p.decision_reason ? `\n> ${safe(p.decision_reason, 600)}` : '';
      return `:no_entry: *Rejected* by ${who(p.decided_by)} at ${when(p.decided_at)}${reason}`;
    }
    case 'expired':
      return `:alarm_clock: *Expired* at ${when(p.decided_at ?? p.expires_at)} — no action taken`;
    case 'superseded':
      return `:arrows_counterclockwise: *Superseded*${p.superseded_by ? ` by ${safe(p.superseded_by, 100)}` : ''} — see the newer card below`;
    case 'stale': {
      const approved = p.decided_by ? `${decided}\n` : '';
      return `${approved}:warning: *Not executed — stale*: ${safe(p.stale_reason ?? 'the present no longer matched the proposal', 600)}\nThe re-check at decision time refused it; a fresh proposal follows while the incident is open.`;
    }
    default:
      return `Status: ${safe(p.status, 50)}`;
  }
}

const VERIFICATION_LINE: Record<string, string> = {
  pending: ':mag: *Verifying*',
  passed: ':white_check_mark: *Verified*',
  failed: ':warning: *Verification failed*',
  reverted: ':leftwards_arrow_with_hook: *Reverted*',
};

/** After an execution: whether the action helped, as the verification found (none before one). */
export function verificationLine(p: Pick<ProposalView, 'verification'>): string | undefined {
  const v = p.verification;
  const head = VERIFICATION_LINE[v.status];
  if (!head) return undefined;
  const when = v.checked_at ? ` at ${slackDate(v.checked_at)}` : '';
  return `${head}${when}${v.reason ? `: ${safe(v.reason, 600)}` : ''}`;
}

/** While the kill switch is on: who paused, when and why, on every card that could still act. */
export function pausedLine(p: Pick<ProposalView, 'agent_paused'>): string | undefined {
  const s = p.agent_paused;
  if (!s) return undefined;
  return `:octagonal_sign: *The agent is paused* by ${who(s.by)}${s.at ? ` since ${slackDate(s.at)}` : ''}${s.reason ? `: ${safe(s.reason, 300)}` : ''}. Nothing executes until \`/sre resume\`.`;
}

export interface ProposalCardOptions {
  /** Show approve/reject (pending) and revert (succeeded, reversible). False for read-only copies. */
  interactive?: boolean;
}

/**
 * The proposal card: action, parameters, risk with every factor, reversibility, and either the
 * decision buttons (pending) or who decided when and the result. Re-rendered from state on every edit.
 */
export function buildProposalCard(p: ProposalView, opts: ProposalCardOptions = {}): SlackMessage {
  const interactive = opts.interactive ?? true;
  const spec = actionSpec(p.action);
  const title = spec?.title ?? p.action;
  const auto = isAutoExecuted(p);
  const base = auto ? `${isShadow(p) ? 'Would auto-execute' : 'Auto-executed'}: ${title}` : p.status === 'pending' ? `Proposal: ${title}` : `${title} — ${p.status}`;
  const heading = isShadow(p) ? `[Shadow] ${base}` : base;
  const factors = p.risk_factors.map((f) => `• ${safe(f.name, 60)} *${signed(f.delta)}* — ${safe(f.reason, 300)}`).join('\n');
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: plain(heading, LIMITS.headerText), emoji: true } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Action*\n\`${safe(p.action, 100)}\`` },
        { type: 'mrkdwn', text: `*Target*\n${safe(p.target, 500)}` },
        { type: 'mrkdwn', text: `*Risk score*\n*${p.risk_score}*/100` },
        { type: 'mrkdwn', text: `*Reversible*\n${reversibility(p)}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Parameters*\n${codeBlock(formatObject(p.params))}` } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`*Risk factors* (sum ${p.risk_score}, clamped 0–100)\n${factors || '(none)'}`, LIMITS.sectionText) } },
  ];
  if (auto) {
    const why = isShadow(p) ? 'Would have executed without a human' : 'Executed without a human';
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${why} because the risk is at or under the threshold and auto-approve is on.` }],
    });
  }
  const notes = decisionNotes(p);
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate([statusLine(p), ...notes].join('\n'), LIMITS.sectionText) } });
  const verified = verificationLine(p);
  if (verified) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(verified, LIMITS.sectionText) } });
  const paused = ['pending', 'approved'].includes(p.status) ? pausedLine(p) : undefined;
  if (paused) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(paused, LIMITS.contextText) }] });
  if (p.result && (['succeeded', 'failed', 'executing'].includes(p.status) || p.result.shadow === true)) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Result*\n${codeBlock(formatObject(p.result, 500))}` } });
  }
  if (interactive && p.status === 'pending') blocks.push(decisionButtons(p));
  if (interactive && p.status === 'succeeded' && p.reversible && !p.reverted_at) blocks.push(revertButton(p));
  const meta = [`${safe(p.id, 100)}`, `reasoner: ${safe(p.reasoner, 40)}${p.fallback_reason ? ' (fallback)' : ''}`, `created ${slackDate(p.created_at)}`, link(p.links.console, 'console')];
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(meta.join(' · '), LIMITS.contextText) }] });
  const text = `${isShadow(p) ? '[Shadow] ' : ''}${auto ? (isShadow(p) ? 'Would auto-execute' : 'Auto-executed') : 'Proposal'}: ${p.action} on ${p.target} — risk ${p.risk_score} — ${p.status}`;
  return { text: safe(text, LIMITS.fallbackText), blocks };
}
