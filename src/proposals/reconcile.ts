import { and, eq, lte } from 'drizzle-orm';
import { schema } from '../db/client.js';
import { enqueue, job } from '../jobs/index.js';
import { withTransaction } from './context.js';
import { finish, perform, type Operation } from './executions.js';
import { passGate, type Refusal } from './gate.js';
import { recheckProposal } from './recheck.js';
import { shadowHold } from './shadow.js';
import type { ProposalRow } from './transition.js';
import type { ServiceDeps } from './types.js';

const { executions, proposals } = schema;
type ExecutionRow = typeof executions.$inferSelect;
export const DEFAULT_RECONCILE_MAX_AGE_MS = 10 * 60_000;

/**
 * Executions left `executing` by a crash. A re-send is an execution like any other: it passes the
 * one gate (shadow, the kill switch, the re-check at decision time) and a maximum age
 * (SRE_RECONCILE_MAX_AGE); it carries the same Idempotency-Key, so the admin-api replays its first
 * answer instead of acting twice. Too old or refused by the re-check: failed, and on-call is paged
 * to check the target by hand. Paused: it waits. The job runs on one replica at a time (its lease);
 * only rows older than `staleMs` are touched, so a live peer's call in flight is left alone.
 */
export async function reconcileExecutions(deps: ServiceDeps, staleMs = 60_000): Promise<number> {
  const now = deps.clock.now();
  const stuck = await deps.db
    .select()
    .from(executions)
    .innerJoin(proposals, eq(proposals.id, executions.proposalId))
    .where(and(eq(executions.status, 'executing'), lte(executions.startedAt, new Date(now.getTime() - staleMs))))
    .limit(50);
  let n = 0;
  for (const { executions: exe, proposals: p } of stuck) {
    if (await reconcileOne(deps, exe, p)) n++;
  }
  return n;
}

async function reconcileOne(deps: ServiceDeps, exe: ExecutionRow, p: ProposalRow): Promise<boolean> {
  const log = deps.logger.child({ proposal_id: p.id, execution_id: exe.id });
  // In shadow nothing is sent, not even a re-send: the row waits, still executing, for live mode.
  if (shadowHold(deps, p)) return false;
  const operation: Operation = exe.operation === 'revert' ? 'revert' : 'execute';
  const now = deps.clock.now();
  const ageMs = now.getTime() - exe.startedAt.getTime();
  const maxAge = deps.lifecycle.reconcileMaxAgeMs ?? DEFAULT_RECONCILE_MAX_AGE_MS;
  if (ageMs > maxAge) {
    return giveUp(deps, exe, p, operation, `cut off by a crash ${Math.round(ageMs / 60_000)} min ago, longer than SRE_RECONCILE_MAX_AGE (${Math.round(maxAge / 60_000)} min) allows a re-send`);
  }
  const checked = operation === 'execute' ? await recheckProposal(deps, p, { resend: true }) : undefined;
  const refused = await withTransaction(deps, async (tx): Promise<Refusal | undefined> => {
    const [row] = await tx.select().from(proposals).where(eq(proposals.id, p.id)).for('update');
    if (!row) return { check: 'proposal', code: 'stale', reason: 'the proposal is gone' };
    // Approved already (by a person or the policy): the brakes on automatic approvals do not apply again.
    return passGate({ tx, deps, proposal: row, operation, automatic: false, recheck: checked, now });
  });
  if (refused?.code === 'paused' || refused?.code === 'shadow') {
    log.info({ reason: refused.reason }, 'reconciliation waits: not re-sent while paused');
    return false;
  }
  if (refused) return giveUp(deps, exe, p, operation, `not re-sent: ${refused.reason}`);
  await withTransaction(deps, (tx) => tx.update(executions).set({ attempts: exe.attempts + 1 }).where(eq(executions.id, exe.id)));
  const outcome = await perform(deps, p, exe.id, operation);
  if (!outcome.ok && outcome.retryable) {
    log.warn({ error: outcome.error }, 'reconciliation deferred: admin-api unreachable');
    return false;
  }
  const done = await finish(deps, p, exe.id, operation, outcome, true);
  log.info({ ok: outcome.ok }, 'execution reconciled');
  return done;
}

/** Failed without a re-send; a person checks the target, because nobody knows whether the first send landed. */
async function giveUp(deps: ServiceDeps, exe: ExecutionRow, p: ProposalRow, operation: Operation, why: string): Promise<boolean> {
  const done = await finish(deps, p, exe.id, operation, { ok: false, error: why, retryable: false }, true);
  if (!done) return false;
  await enqueue(deps.db, job('reconcile_page', `reconcile_page:${exe.id}`, deps.clock.now(), { proposal_id: p.id, execution_id: exe.id, why: why.slice(0, 500) }));
  deps.poke?.();
  deps.logger.warn({ proposal_id: p.id, execution_id: exe.id, why }, 'execution not re-sent; on-call will be paged');
  return true;
}
