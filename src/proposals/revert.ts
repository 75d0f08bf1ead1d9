import { inIncidentTrace } from './trace.js';
import { and, eq } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { specFor, storedRequest, type ActionId } from '../domain/actions.js';
import { DomainError } from '../domain/errors.js';
import { actorName, type Actor } from '../domain/proposal.js';
import { describeCall, finish, perform, refusalError } from './executions.js';
import { passGate } from './gate.js';
import { newId } from './ids.js';
import { authorizeApproval } from './approvals.js';
import { getProposal } from './queries.js';
import type { ProposalView, ServiceDeps } from './types.js';

const { proposals, executions } = schema;

/**
 * Undoes a succeeded, reversible action once (the executions unique key admits one revert). A
 * person reverting an action two people approved says why (`reason`, as a pause does); the
 * reason is recorded with the revert either way.
 */
export function revert(deps: ServiceDeps, input: { proposalId: string; actor: Actor; reason?: unknown }): Promise<ProposalView> {
  const attributes = { 'sre.proposal.id': input.proposalId, 'sre.revert.actor': actorName(input.actor), 'sre.revert.automatic': input.actor.type === 'system' };
  return inIncidentTrace(deps, { proposalId: input.proposalId }, 'sre.revert', attributes, () => revertIn(deps, input));
}

async function revertIn(deps: ServiceDeps, input: { proposalId: string; actor: Actor; reason?: unknown }): Promise<ProposalView> {
  if (input.reason !== undefined && typeof input.reason !== 'string') throw new DomainError('invalid', 'reason: expected text');
  const reason = typeof input.reason === 'string' && input.reason.trim() ? input.reason.trim().slice(0, 500) : undefined;
  const now = deps.clock.now();
  const exeId = newId('exe');
  // A revert changes the gateway as an approval does: the same approver rules admit it.
  if (input.actor.type !== 'system') await authorizeApproval(deps, { proposalId: input.proposalId, actor: input.actor, verb: 'revert' });
  const p = await deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(proposals).where(eq(proposals.id, input.proposalId)).for('update');
    if (!row) throw new DomainError('not_found', `proposal ${input.proposalId} not found`);
    const spec = specFor(row.action as ActionId);
    if (!spec.reversible) throw new DomainError('refused', `${row.action} cannot be undone`);
    if (row.status !== 'succeeded') throw new DomainError('conflict', `only a succeeded action can be reverted (status: ${row.status})`);
    // A second click answers from the row it waited for: it never touches executions, where the
    // first revert's finish may hold a row lock while it waits for this proposal (a deadlock).
    if (row.revertedBy) throw new DomainError('already_decided', `Proposal ${row.id} was already reverted by ${row.revertedBy}.`);
    if (!reason && input.actor.type !== 'system' && row.approvalsRequired >= 2) {
      throw new DomainError('invalid', `reason: ${row.id} was approved by two people, so reverting it needs a reason (text saying why); nothing was changed`);
    }
    const refused = await passGate({ tx, deps, proposal: row, operation: 'revert', automatic: input.actor.type === 'system', now });
    if (refused) throw refusalError(row.id, refused);
    const call = describeCall(storedRequest(row), row, 'revert');
    const inserted = await tx
      .insert(executions)
      .values({ id: exeId, proposalId: row.id, operation: 'revert', status: 'executing', request: call, startedAt: now, attempts: 1 })
      .onConflictDoNothing()
      .returning({ id: executions.id });
    if (inserted.length === 0) throw new DomainError('already_decided', `Proposal ${row.id} was already reverted${row.revertedBy ? ` by ${row.revertedBy}` : ''}.`);
    await tx.update(proposals).set({ revertedBy: actorName(input.actor), updatedAt: now }).where(and(eq(proposals.id, row.id)));
    await appendAudit(tx, {
      kind: 'execution.started',
      actor: input.actor,
      incidentId: row.incidentId,
      proposalId: row.id,
      payload: { execution_id: exeId, operation: 'revert', action: row.action, request: call, ...(reason ? { reason } : {}) },
    });
    return { ...row, revertedBy: actorName(input.actor) };
  });
  const outcome = await perform(deps, p, exeId, 'revert');
  await finish(deps, p, exeId, 'revert', outcome, false);
  return (await getProposal(deps, input.proposalId))!;
}
