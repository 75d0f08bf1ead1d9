import { inIncidentTrace } from './trace.js';
import { and, eq } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { storedRequest } from '../domain/actions.js';
import { DomainError, isDomainError } from '../domain/errors.js';
import { describeCall, EXECUTOR, finish, perform, refusalError } from './executions.js';
import { passGate, recordRefusal, type Refusal } from './gate.js';
import { newId } from './ids.js';
import { getProposal } from './queries.js';
import { recheckProposal } from './recheck.js';
import type { RecheckResult } from '../domain/recheck.js';
import { holdInShadow } from './shadow.js';
import { transitionOne } from './transition.js';
import { completeJob } from '../jobs/index.js';
import { executeKey } from './schedule.js';
import type { ProposalView, ServiceDeps } from './types.js';

const { proposals, executions } = schema;

/**
 * Carries out an approved proposal: approved → executing is one conditional UPDATE (so it runs
 * once), the call carries the execution id as Idempotency-Key, and the result is recorded after.
 * The gate (gate.ts) runs in the claiming transaction; its gateway reads are made before it.
 */
export interface ExecuteInput {
  proposalId: string;
  /** The re-check already started for this approval (decide starts it beside its transaction); made here when absent or failed. */
  recheck?: Promise<RecheckResult | undefined> | undefined;
}

export function execute(deps: ServiceDeps, input: ExecuteInput): Promise<ProposalView> {
  return inIncidentTrace(deps, { proposalId: input.proposalId }, 'sre.execute', { 'sre.proposal.id': input.proposalId }, () => executeIn(deps, input));
}

async function executeIn(deps: ServiceDeps, input: ExecuteInput): Promise<ProposalView> {
  const { proposalId } = input;
  const exeId = newId('exe');
  const early = input.recheck ? await input.recheck : undefined;
  const [before] = early ? [undefined] : await deps.db.select().from(proposals).where(and(eq(proposals.id, proposalId), eq(proposals.status, 'approved')));
  const checked = early ?? (before ? await recheckProposal(deps, before) : undefined);
  const now = deps.clock.now();
  let refused: Refusal | undefined;
  const started = await deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(proposals).where(and(eq(proposals.id, proposalId), eq(proposals.status, 'approved'))).for('update');
    if (!row) return undefined;
    // Claimed or refused here, in this transaction: the execute job the approval wrote is done.
    // Sent beside the gate's reads (one connection pipelines them), awaited before the commit.
    const jobDone = completeJob(tx, executeKey(proposalId), now);
    const gate = { tx, deps, proposal: row, operation: 'execute' as const, automatic: row.decidedVia === 'policy', recheck: checked, now };
    refused = await passGate(gate).finally(() => jobDone);
    await jobDone;
    if (refused) {
      // Shadow: the approved proposal records what it would do and stays approved; no error.
      if (refused.code === 'shadow') await holdInShadow(tx, deps, row, now, describeCall(storedRequest(row), row), refused.reason);
      else await recordRefusal(gate, refused);
      return undefined;
    }
    const p = await transitionOne(tx, proposalId, 'approved', 'executing', { updatedAt: now });
    if (!p) return undefined;
    const call = describeCall(storedRequest(p), p);
    await tx.insert(executions).values({ id: exeId, proposalId, operation: 'execute', status: 'executing', request: call, startedAt: now, attempts: 1 });
    await appendAudit(tx, {
      kind: 'execution.started',
      actor: EXECUTOR,
      incidentId: p.incidentId,
      proposalId,
      payload: { execution_id: exeId, operation: 'execute', action: p.action, request: call, recheck: checked?.checked ?? [] },
    });
    return p;
  });
  if (refused && refused.code !== 'held' && refused.code !== 'shadow') throw refusalError(proposalId, refused);
  if (!started) {
    const view = await getProposal(deps, proposalId);
    if (!view) throw new DomainError('not_found', `proposal ${proposalId} not found`);
    return view;
  }
  const outcome = await perform(deps, started, exeId, 'execute');
  await finish(deps, started, exeId, 'execute', outcome, false);
  return (await getProposal(deps, proposalId))!;
}


/**
 * Executes a just-approved proposal in this request. Its execute job, leased to this replica by the
 * decision, completes in the claiming transaction; a failure before that hands the job back for a
 * lane to retry, and a crash leaves it to be taken over when its lease ends.
 */
export async function executeApproved(deps: ServiceDeps, input: ExecuteInput): Promise<ProposalView> {
  try {
    return await execute(deps, input);
  } catch (e) {
    if (isDomainError(e) || !deps.jobs) throw e;
    // The decision stands and its job retries the execution: the decider is told it is approved.
    deps.logger.error({ err: e, proposal_id: input.proposalId }, 'execution failed after the decision committed; its job retries it');
    await deps.jobs.retryLeased(executeKey(input.proposalId), e).catch(() => undefined);
    const view = await getProposal(deps, input.proposalId);
    if (!view) throw new DomainError('not_found', `proposal ${input.proposalId} not found`);
    return view;
  }
}
