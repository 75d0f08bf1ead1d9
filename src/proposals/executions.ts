import { and, eq } from 'drizzle-orm';
import { ExecutionError } from '../actions/gateway.js';
import { pageOutcome } from '../actions/pagerduty.js';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { specFor, storedRequest, type ActionRequest } from '../domain/actions.js';
import { DomainError } from '../domain/errors.js';
import type { Actor } from '../domain/proposal.js';
import { enqueue, enqueueNotification, job } from '../jobs/index.js';
import type { Refusal } from './gate.js';
import { transitionOne, type ProposalRow } from './transition.js';
import type { ServiceDeps } from './types.js';
import { actionPageKey } from './oncall.js';
import { startVerification } from './verification.js';

/**
 * An execution's two halves after its claim: `perform` sends the call (the execution id is the
 * Idempotency-Key on every try, first or reconciling), `finish` records the outcome once.
 */

const { proposals, executions } = schema;
export const EXECUTOR: Actor = { type: 'system', name: 'agent' };

export type Operation = 'execute' | 'revert';
export type Outcome = { ok: true; response: Record<string, unknown> } | { ok: false; error: string; retryable: boolean };

/** What the deciding person is told: 409 stale, 423 paused; a held automatic approval is no error. */
export function refusalError(proposalId: string, r: Refusal): DomainError {
  if (r.code === 'stale') return new DomainError('stale', `Not executed: ${r.reason}. Proposal ${proposalId} is stale; a fresh one is made while the incident is open.`, { stale_reason: r.reason });
  if (r.code === 'shadow') return new DomainError('refused', `Refused: ${r.reason}.`, { check: r.check });
  if (r.code === 'silenced') return new DomainError('silenced', `Not executed: ${r.reason}. Proposal ${proposalId} is held until the silence ends.`, r.details);
  if (r.code === 'paused') return new DomainError('paused', `Not executed: ${r.reason}. Proposal ${proposalId} still waits for a decision.`, r.details);
  return new DomainError('refused', `Held for a human: ${r.reason}.`, { check: r.check });
}

export function describeCall(request: ActionRequest, p: Pick<ProposalRow, 'id'>, operation: Operation = 'execute'): Record<string, unknown> {
  const spec = specFor(request.action);
  if (request.action === 'page_oncall') return { pagerduty: { dedup_key: actionPageKey(p.id), severity: request.params.severity, summary: request.params.summary } };
  const call = operation === 'execute' ? spec.call(request.params) : spec.inverse(request.params);
  return { admin_api: call ?? null };
}

/** Sends the call; the same execution id is the Idempotency-Key on every try, first or reconciling. */
export async function perform(deps: ServiceDeps, p: Pick<ProposalRow, 'id' | 'action' | 'params' | 'incidentId' | 'reasoning'>, exeId: string, operation: Operation): Promise<Outcome> {
  const request = storedRequest(p);
  const spec = specFor(request.action);
  try {
    if (request.action === 'page_oncall') {
      const r = await deps.pager.trigger({
        dedupKey: actionPageKey(p.id),
        summary: request.params.summary,
        severity: request.params.severity,
        source: 'scutum-sre-agent',
        details: { reason: request.params.reason, incident_id: p.incidentId },
        links: [{ href: `${deps.publicBaseUrl}/sre`, text: 'SRE agent console' }],
      });
      // The log-only pager pages nobody: the result says so (`paged: false`, `not_paged`), never "paged".
      return { ok: true, response: { pagerduty: r, ...pageOutcome(deps.pager) } };
    }
    const call = operation === 'execute' ? spec.call(request.params) : spec.inverse(request.params);
    if (!call) return { ok: false, error: `${request.action} has no ${operation} call`, retryable: false };
    const r = await deps.gateway.send(call, exeId);
    return { ok: true, response: { status: r.status, body: r.body } };
  } catch (e) {
    const retryable = e instanceof ExecutionError ? e.retryable : true;
    return { ok: false, error: (e as Error).message.slice(0, 1000), retryable };
  }
}

/** A page's `paged` / `not_paged`, lifted to the top of its result and audit row; nothing for other actions. */
function pagedOf(response: Record<string, unknown>): Record<string, unknown> {
  if (typeof response.paged !== 'boolean') return {};
  return { paged: response.paged, ...(typeof response.not_paged === 'string' ? { not_paged: response.not_paged } : {}) };
}

/** Records an execution's outcome, once: only an execution still `executing` is finished. */
export async function finish(deps: ServiceDeps, p: ProposalRow, exeId: string, operation: Operation, outcome: Outcome, reconciled: boolean): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    // The proposal row first, as decide and revert lock it: one lock order (proposal, then
    // execution) for every transaction that writes both, so none of them can deadlock another.
    await tx.select({ id: proposals.id }).from(proposals).where(eq(proposals.id, p.id)).for('update');
    const [exe] = await tx
      .update(executions)
      .set({
        status: outcome.ok ? 'succeeded' : 'failed',
        response: outcome.ok ? outcome.response : null,
        error: outcome.ok ? null : outcome.error,
        finishedAt: now,
      })
      .where(and(eq(executions.id, exeId), eq(executions.status, 'executing')))
      .returning();
    if (!exe) return false;
    deps.metrics?.executions.inc({ action: p.action, outcome: reconciled ? 'reconciled' : outcome.ok ? 'succeeded' : 'failed' });
    if (operation === 'execute') deps.metrics?.proposalsTransitions.inc({ action: p.action, status: outcome.ok ? 'succeeded' : 'failed' });
    const result = outcome.ok ? { ok: true, operation, execution_id: exeId, response: outcome.response, ...pagedOf(outcome.response), finished_at: now.toISOString() } : { ok: false, operation, execution_id: exeId, error: outcome.error, finished_at: now.toISOString() };
    if (operation === 'execute') {
      await transitionOne(tx, p.id, 'executing', outcome.ok ? 'succeeded' : 'failed', { result, updatedAt: now });
    } else {
      await tx
        .update(proposals)
        .set(outcome.ok ? { revertedAt: now, result: { ...(p.result ?? {}), revert: result }, updatedAt: now } : { result: { ...(p.result ?? {}), revert: result }, updatedAt: now })
        .where(eq(proposals.id, p.id));
    }
    const audits = [];
    if (reconciled) {
      audits.push({ kind: 'execution.reconciled' as const, actor: { type: 'system', name: 'reconciler' } as Actor, incidentId: p.incidentId, proposalId: p.id, payload: { execution_id: exeId, operation, outcome: outcome.ok ? 'succeeded' : 'failed' } });
    }
    audits.push(
      outcome.ok
        ? { kind: 'execution.succeeded' as const, actor: EXECUTOR, incidentId: p.incidentId, proposalId: p.id, payload: { execution_id: exeId, operation, response: outcome.response, ...pagedOf(outcome.response) } }
        : { kind: 'execution.failed' as const, actor: EXECUTOR, incidentId: p.incidentId, proposalId: p.id, payload: { execution_id: exeId, operation, error: outcome.error } },
    );
    await appendAudit(tx, ...audits);
    await enqueueNotification(tx, deps, 'execution.finished', { incidentId: p.incidentId, proposalId: p.id }, { operation, ok: outcome.ok });
    if (outcome.ok) await startVerification(tx, deps, p, exeId, operation, now);
    if (outcome.ok && operation === 'execute' && p.action === 'circuit_break_provider') {
      const seconds = Number((p.params as { duration_seconds?: number }).duration_seconds ?? 0);
      // The breaker closes by itself; the timer records the restore durably (a restart does not forget it).
      await enqueue(tx, job('restore', `restore:${exeId}`, new Date(now.getTime() + seconds * 1000), { proposal_id: p.id, execution_id: exeId }));
    }
    return true;
  });
}
