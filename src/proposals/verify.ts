import { and, eq, gt, inArray } from 'drizzle-orm';
import { observeEffect } from '../actions/observe.js';
import { appendAudit } from '../audit/append.js';
import { schema, type Tx } from '../db/client.js';
import { specFor, type ActionId } from '../domain/actions.js';
import { isDomainError } from '../domain/errors.js';
import type { Actor } from '../domain/proposal.js';
import { severityOf, verdict, verifyWindowFor, type Observation, type Operation } from '../domain/verification.js';
import { requestOf } from './execute.js';
import { enqueueNotification } from './outbox.js';
import { revert } from './revert.js';
import type { ServiceDeps } from './types.js';

/**
 * Verification after an execution: a durable timer watches the action for its window, then judges
 * it from the incident's own later events and a read of the target. A failure of a reversible
 * action is reverted once (a timer written with the verdict, so a crash between them loses nothing).
 */

type ProposalRow = typeof schema.proposals.$inferSelect;
const { proposals, incidents, events, timers } = schema;
const VERIFIER: Actor = { type: 'system', name: 'verifier' };

/** Called by finish in the transaction that records a successful execution or revert. */
export async function startVerification(tx: Tx, deps: ServiceDeps, p: ProposalRow, exeId: string, operation: Operation, now: Date): Promise<void> {
  const request = requestOf(p);
  const windowMs = verifyWindowFor(request, deps.safety.verifyWindowMs);
  if (windowMs === undefined) return;
  const [inc] = await tx.select({ type: incidents.type, latest: incidents.latest }).from(incidents).where(eq(incidents.id, p.incidentId));
  const baseline = inc ? severityOf(inc.type, inc.latest) : undefined;
  const checkAt = new Date(now.getTime() + windowMs);
  // A revert keeps the status "reverted" while its own check runs; the reason says it is being watched.
  const set =
    operation === 'execute'
      ? { verificationStatus: 'pending', verificationReason: `watching for ${Math.round(windowMs / 1000)} s`, verificationCheckedAt: null, updatedAt: now }
      : { verificationStatus: 'reverted', verificationReason: `reverted at ${now.toISOString()}; checking the revert holds`, verificationCheckedAt: null, updatedAt: now };
  await tx.update(proposals).set(set).where(eq(proposals.id, p.id));
  await tx
    .insert(timers)
    .values({ kind: 'verify', key: `verify:${operation}:${p.id}`, runAt: checkAt, payload: { proposal_id: p.id, execution_id: exeId, operation, since: now.toISOString(), window_ms: windowMs, baseline: baseline ?? null } })
    .onConflictDoNothing();
  await appendAudit(tx, { kind: 'verification.started', actor: VERIFIER, incidentId: p.incidentId, proposalId: p.id, payload: { execution_id: exeId, operation, check_at: checkAt.toISOString(), window_ms: windowMs, baseline_severity: baseline ?? null } });
}

/** The `verify` timer: judge, record the verdict and its evidence, and schedule what follows a failure. */
export async function verifyTimer(deps: ServiceDeps, payload: Record<string, unknown>): Promise<void> {
  const proposalId = String(payload.proposal_id);
  const operation: Operation = payload.operation === 'revert' ? 'revert' : 'execute';
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
    observed = await observeEffect(deps.gateway, requestOf(p), deps.clock.now());
  } catch (e) {
    observed = e instanceof Error ? e : new Error(String(e));
  }
  const baseline = typeof payload.baseline === 'number' ? payload.baseline : undefined;
  const v = verdict({ operation, windowMs: Number(payload.window_ms ?? deps.safety.verifyWindowMs), baseline, later: later.map((e) => severityOf(e.type, e.data)), observed });
  const now = deps.clock.now();
  const reversible = specFor(p.action as ActionId).reversible;
  const next = v.passed ? 'none' : operation === 'revert' ? 'page' : deps.safety.autoRevert && reversible && !p.revertedBy ? 'revert' : 'page';

  await deps.db.transaction(async (tx) => {
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
    if (next === 'revert') await tx.insert(timers).values({ kind: 'auto_revert', key: `auto_revert:${p.id}`, runAt: now, payload: { proposal_id: p.id } }).onConflictDoNothing();
    if (next === 'page') await tx.insert(timers).values({ kind: 'verify_page', key: `verify_page:${operation}:${p.id}`, runAt: now, payload: { proposal_id: p.id, why: reason.slice(0, 500) } }).onConflictDoNothing();
    await enqueueNotification(tx, deps.channels, 'execution.finished', refs, { operation: 'verify', passed: v.passed });
    const what = operation === 'revert' ? 'The revert' : `${p.action} on ${p.target}`;
    const tail = next === 'revert' ? ' Reverting it automatically.' : next === 'page' ? ' Paging on-call.' : '';
    await enqueueNotification(tx, deps.channels, 'thread.reply', refs, { text: `${v.passed ? ':white_check_mark: Verified' : ':warning: Verification failed'}: ${what} — ${reason}.${tail}` });
  });
  deps.poke?.();
}

/** The `auto_revert` timer: the same idempotent, audited path as the revert button, once per proposal. */
export async function autoRevertTimer(deps: ServiceDeps, payload: Record<string, unknown>): Promise<void> {
  const proposalId = String(payload.proposal_id);
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

/** The `verify_page` timer: on-call hears of an action that did not help and was not undone. */
export async function verifyPageTimer(deps: ServiceDeps, payload: Record<string, unknown>): Promise<void> {
  await page(deps, String(payload.proposal_id), String(payload.why ?? 'its verification failed'));
}

async function page(deps: ServiceDeps, proposalId: string, why: string): Promise<void> {
  const [p] = await deps.db.select().from(proposals).where(eq(proposals.id, proposalId));
  if (!p) return;
  await deps.pager.trigger({
    dedupKey: `verify:${p.id}`,
    summary: `SRE agent: ${p.action} on ${p.target} did not help — ${why}`.slice(0, 1024),
    severity: 'error',
    source: 'scutum-sre-agent',
    details: { proposal_id: p.id, incident_id: p.incidentId, verification: p.verificationReason },
    links: [{ href: `${deps.publicBaseUrl}/sre/proposals/${encodeURIComponent(p.id)}`, text: 'proposal in the SRE console' }],
  });
  deps.logger.warn({ proposal_id: p.id, why }, 'on-call paged: an action did not help and was not undone');
}

export const VERIFY_TIMER_HANDLERS = { verify: verifyTimer, auto_revert: autoRevertTimer, verify_page: verifyPageTimer };
