import { revert } from '../../../proposals/index.js';
import type { SlackContext } from '../../context.js';
import { gatedButton } from './gate.js';

/** Revert: the same gate and audit as a decision; the service admits one revert per proposal. */
export function revertListener(ctx: SlackContext) {
  return gatedButton(ctx, 'the revert', async ({ proposalId, actor }) => {
    await revert(ctx.deps, { proposalId, actor });
  });
}
