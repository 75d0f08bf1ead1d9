import { annotate } from '../telemetry/index.js';
import { inIncidentTrace } from './trace.js';
import { and, eq, gt, inArray } from 'drizzle-orm';
import { observeEffect } from '../actions/observe.js';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { specFor, storedRequest, type ActionId } from '../domain/actions.js';
import { isDomainError } from '../domain/errors.js';
import { severityOf, verdict, type Observation, type Operation } from '../domain/verification.js';
import { enqueue, enqueueNotification, job, type PayloadOf } from '../jobs/index.js';
import { withTransaction } from './context.js';
import { revert } from './revert.js';
import type { ServiceDeps } from './types.js';
import { pageAbout } from './oncall.js';
import { VERIFIER } from './verification.js';

/**
 * Verification after an execution: a durable timer watches the action for its window, then judges
 * it from the incident's own later events and a read of the target. A failure of a reversible
 * action is reverted once (a timer written with the verdict, so a crash between them loses nothing).
 */

const { proposals, incidents, events } = schema;

/** The `verify` job: judge, record the verdict and its evidence, and schedule what follows a failure. */
export function verifyJob(deps: ServiceDeps, payload: PayloadOf<'verify'>): Promise<void> {
  const attributes = { 'sre.proposal.id': payload.proposal_id, 'sre.execution.id': payload.execution_id, 'sre.verify.operation': payload.operation };
  return inIncidentTrace(deps, { proposalId: payload.proposal_id }, 'sre.verify', attributes, () => verifyIn(deps, payload));
}

async function verifyIn(deps: ServiceDeps, payload: PayloadOf<'verify'>): Promise<void> {
  const proposalId = payload.proposal_id;
  const operation: Operation = payload.operation;
  const [p] = await deps.db.select().from(proposals).where(eq(proposals.id, proposalId));
  if (!p) return;
  const watching = operation === 'execute' ? 'pending' : 'reverted';
  if (p.verificationStatus !== watching) return;
  const [inc] = await deps.db.select().from(incidents).where(eq(incidents.id, p.incidentId));
  const since = new Date(String(payload.since));
  // The incident's own events, and those of a later incident on the same key (it reopened).
  const sameKey = inc ? (await deps.db.select({ id: incidents.id }).from(incidents).where(eq(incidents.key, inc.key))).map((r) => r.id) : [p.incidentId];
  const later = await deps.db
    .select({ type: events.type, data: events.data })
    .from(events)
    .where(and(inArray(events.incidentId, sameKey), gt(events.receivedAt, since)))
    .limit(1000);
  let observed: Observation | Error;
  try {
    observed = await observeEffect(deps.gateway, storedRequest(p), deps.clock.now());
  } catch (e) {
    observed = e instanceof Error ? e : new Error(String(e));
  }
  const baseline = payload.baseline ?? undefined;
  const v = verdict({ operation, windowMs: payload.window_ms, baseline, later: later.map((e) => severityOf(e.type, e.data)), observed });
  const now = deps.clock.now();
  const reversible = specFor(p.action as ActionId).reversible;
  const next = v.passed ? 'none' : operation === 'revert' ? 'page' : deps.safety.autoRevert && reversible && !p.revertedBy ? 'revert' : 'page';
  annotate({ 'sre.verify.passed': v.passed, 'sre.verify.next': next, 'sre.action': p.action });

  await withTransaction(deps, async (tx) => {
    const status = v.passed ? (operation === 'revert' ? 'reverted' : 'passed') : 'failed';
    const reason = operation === 'revert' ? (v.passed ? `reverted; ${v.reason}` : `the revert did not take: ${v.reason}`) : v.reason;
    const [done] = await tx
      .update(proposals)
      .set({ verificationStatus: status, verificationReason: reason.slice(0, 1000), verificationCheckedAt: now, updatedAt: now })
      .where(and(eq(proposals.id, p.id), eq(proposals.verificationStatus, watching)))
      .returning({ id: proposals.id });
    if (!done) return;
    const refs = { incidentId: p.incidentId, proposalId: p.id };
    await appendAudit(
      tx,
      v.passed
        ? { kind: 'verification.passed', actor: VERIFIER, ...refs, payload: { operation, reason: v.reason, evidence: v.evidence } }
        : { kind: 'verification.failed', actor: VERIFIER, ...refs, payload: { operation, reason: v.reason, evidence: v.evidence, next } },
    );
    if (next === 'revert') await enqueue(tx, job('auto_revert', `auto_revert:${p.id}`, now, { proposal_id: p.id }));
    if (next === 'page') await enqueue(tx, job('verify_page', `verify_page:${operation}:${p.id}`, now, { proposal_id: p.id, why: reason.slice(0, 500) }));
    await enqueueNotification(tx, deps, 'execution.finished', refs, { operation: 'verify', passed: v.passed });
    const what = operation === 'revert' ? 'The revert' : `${p.action} on ${p.target}`;
    const tail = next === 'revert' ? ' Reverting it automatically.' : next === 'page' ? ' Paging on-call.' : '';
    await enqueueNotification(tx, deps, 'thread.reply', refs, { text: `${v.passed ? ':white_check_mark: Verified' : ':warning: Verification failed'}: ${what} — ${reason}.${tail}` });
  });
  deps.poke?.();
}

/** The `auto_revert` job: the same idempotent, audited path as the revert button, once per proposal. */
export async function autoRevertJob(deps: ServiceDeps, payload: PayloadOf<'auto_revert'>): Promise<void> {
  const proposalId = payload.proposal_id;
  try {
    const after = await revert(deps, { proposalId, actor: VERIFIER });
    const r = (after.result?.revert ?? undefined) as { ok?: boolean; error?: string } | undefined;
    if (r && r.ok === false) await page(deps, proposalId, `the automatic revert failed: ${r.error ?? 'unknown error'}`);
  } catch (e) {
    if (!isDomainError(e)) throw e;
    // Already reverted (a restart, a person was quicker): nothing more to do.
    if (e.code === 'already_decided') return;
    await page(deps, proposalId, `it could not be reverted automatically: ${e.message}`);
  }
}

/** The `verify_page` job: on-call hears of an action that did not help and was not undone. */
export async function verifyPageJob(deps: ServiceDeps, payload: PayloadOf<'verify_page'>): Promise<void> {
  await page(deps, payload.proposal_id, payload.why || 'its verification failed');
}

function page(deps: ServiceDeps, proposalId: string, why: string): Promise<void> {
  return pageAbout(deps, { proposalId, dedupKey: `verify:${proposalId}`, why, summary: (p) => `SRE agent: ${p.action} on ${p.target} did not help — ${why}` });
}

