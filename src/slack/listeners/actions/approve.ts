import { approvalProgress } from '../../../domain/approvals.js';
import { decide } from '../../../proposals/index.js';
import { tellUser, type SlackContext } from '../../context.js';
import { gatedButton } from './gate.js';

/** Approve: the exactly-once decision; a losing click is told who won. */
export function approveListener(ctx: SlackContext) {
  return gatedButton(ctx, 'the approval', async ({ proposalId, actor, reply, body }) => {
    const p = await decide(ctx.deps, { proposalId, decision: 'approve', actor });
    const progress = approvalProgress(p);
    if (progress) return await tellUser(ctx, reply, `Your approval of ${p.id} is recorded (${progress}). A second person must approve before it executes.`);
    // The card in the thread is edited through the outbox; an ephemeral list needs a word back.
    if (body.container?.is_ephemeral) await tellUser(ctx, reply, `Approved ${p.id}: ${p.status}. The card in the incident thread shows the result.`);
  });
}
