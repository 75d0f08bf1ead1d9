import type { ModalView, View } from '@slack/types';
import type { ProposalView } from '../../domain/proposal-view.js';
import { LIMITS, safe, truncate } from './escape.js';
import { REJECT_REASON_BLOCK, REJECT_REASON_INPUT, REJECT_REASON_MAX, VIEW_REJECT } from './ids.js';

/** Where to tell the user the outcome after the modal closes. */
export interface RejectModalContext {
  proposalId: string;
  channel?: string | undefined;
  responseUrl?: string | undefined;
}

/** Metadata is ours but comes back through Slack: parse defensively. */
export function parseRejectMetadata(raw: string | undefined): RejectModalContext | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (typeof v.proposalId !== 'string') return undefined;
    return {
      proposalId: v.proposalId,
      channel: typeof v.channel === 'string' ? v.channel : undefined,
      responseUrl: typeof v.responseUrl === 'string' ? v.responseUrl : undefined,
    };
  } catch {
    return undefined;
  }
}

/** The reject-with-a-reason modal; the reason is optional and bounded. */
export function buildRejectModal(p: Pick<ProposalView, 'id' | 'action' | 'target' | 'risk_score'> & Partial<Pick<ProposalView, 'mode'>>, ctx: RejectModalContext): View {
  const shadow = p.mode === 'shadow';
  return proposalModal(VIEW_REJECT, ctx, { title: shadow ? 'Would reject (shadow)' : 'Reject proposal', submit: shadow ? 'Would reject' : 'Reject' }, [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`Reject *${safe(p.action, 100)}* on ${safe(p.target, 200)} (risk ${p.risk_score})? Nothing will be executed.\n\`${safe(p.id, 100)}\``, LIMITS.sectionText) },
    },
    {
      type: 'input',
      block_id: REJECT_REASON_BLOCK,
      optional: true,
      label: { type: 'plain_text', text: 'Reason (recorded in the audit trail)' },
      element: { type: 'plain_text_input', action_id: REJECT_REASON_INPUT, multiline: true, max_length: REJECT_REASON_MAX },
    },
  ]);
}

/**
 * The frame of a modal about one proposal (reject, revert): the context travels as private
 * metadata, cut to the proposal and channel when it would pass Slack's limit.
 */
export function proposalModal(callbackId: string, ctx: RejectModalContext, words: { title: string; submit: string }, blocks: ModalView['blocks']): ModalView {
  let metadata = JSON.stringify(ctx);
  if (metadata.length > LIMITS.privateMetadata) metadata = JSON.stringify({ proposalId: ctx.proposalId, channel: ctx.channel });
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: metadata,
    title: { type: 'plain_text', text: words.title },
    submit: { type: 'plain_text', text: words.submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}
