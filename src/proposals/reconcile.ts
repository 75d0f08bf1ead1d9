import { and, eq, lte } from 'drizzle-orm';
import { schema } from '../db/client.js';
import { finish, perform } from './executions.js';
import { shadowHold } from './shadow.js';
import type { ServiceDeps } from './types.js';

const { executions, proposals } = schema;

/**
 * Executions left `executing` by a crash are resent with the same Idempotency-Key: the admin-api
 * replays its first answer, so nothing fires twice; the outcome is then recorded as reconciled.
 * Only rows older than `staleMs` are touched, so a live peer's in-flight call is left alone.
 */
export async function reconcileExecutions(deps: ServiceDeps, staleMs = 60_000): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - staleMs);
  const stuck = await deps.db
    .select()
    .from(executions)
    .innerJoin(proposals, eq(proposals.id, executions.proposalId))
    .where(and(eq(executions.status, 'executing'), lte(executions.startedAt, cutoff)))
    .limit(50);
  let n = 0;
  for (const { executions: exe, proposals: p } of stuck) {
    // In shadow nothing is sent, not even a resend: the row waits, still executing, for live mode.
    if (shadowHold(deps, p)) continue;
    await deps.db.update(executions).set({ attempts: exe.attempts + 1 }).where(eq(executions.id, exe.id));
    const operation = exe.operation === 'revert' ? 'revert' : 'execute';
    const outcome = await perform(deps, p, exe.id, operation);
    if (!outcome.ok && outcome.retryable) {
      deps.logger.warn({ proposal_id: p.id, execution_id: exe.id, error: outcome.error }, 'reconciliation deferred: admin-api unreachable');
      continue;
    }
    if (await finish(deps, p, exe.id, operation, outcome, true)) n++;
    deps.logger.info({ proposal_id: p.id, execution_id: exe.id, ok: outcome.ok }, 'execution reconciled');
  }
  return n;
}
