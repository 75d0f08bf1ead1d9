import { and, eq, isNull } from 'drizzle-orm';
import { NOT_PAGED_UNCONFIGURED, type PageOutcome } from '../actions/pagerduty.js';
import { appendAudit } from '../audit/append.js';
import { schema, type Tx } from '../db/client.js';
import { isDomainError } from '../domain/errors.js';
import { PAGE_UNSEEN_REASON } from '../domain/policy.js';
import type { Actor } from '../domain/proposal.js';
import { enqueueNotification } from '../jobs/index.js';
import { withTransaction } from './context.js';
import { executeApproved } from './execute.js';
import { readSwitch } from './kill-switch.js';
import { writeExecuteJob } from './schedule.js';
import { shadowHold } from './shadow.js';
import { transitionOne } from './transition.js';
import type { ServiceDeps } from './types.js';

const { proposals } = schema;
const SCHEDULER: Actor = { type: 'system', name: 'scheduler' };
const POLICY: Actor = { type: 'system', name: 'policy' };

export interface EscalateResult {
  escalated: boolean;
  /** Why nothing happened: the proposal moved on, was escalated before, or does not exist. */
  reason?: 'not_pending' | 'already_escalated' | 'not_found';
  /**
   * What the escalation did. `renotified`: the channels were told again (and PagerDuty, when
   * configured, paged: `paged`/`not_paged`). `paged_anyway`: a page_oncall nobody decided on was
   * approved by the policy and executed through the gate; `paged` is then the page's own outcome.
   */
  did?: 'renotified' | 'paged_anyway';
  paged?: boolean;
  not_paged?: string;
}

type Escalated = { id: string; incidentId: string; createdAt: Date; riskScore: number; action: string; mode: string };

/**
 * Escalates a proposal still pending after SRE_ESCALATE_AFTER: one conditional UPDATE, so a timer
 * fired twice (retry, two replicas) escalates once; audit and re-notification commit with it.
 * A page_oncall still pending then pages anyway (docs/approvals.md "Paging"): nobody decided on
 * it, and a page must not wait unseen for the person it pages.
 */
export async function escalate(deps: ServiceDeps, input: { proposalId: string }): Promise<EscalateResult> {
  const { proposalId } = input;
  const now = deps.clock.now();
  const result = await withTransaction(deps, async (tx): Promise<EscalateResult> => {
    const [row] = await tx
      .update(proposals)
      .set({ escalatedAt: now, updatedAt: now })
      .where(and(eq(proposals.id, proposalId), eq(proposals.status, 'pending'), isNull(proposals.escalatedAt)))
      .returning({ id: proposals.id, incidentId: proposals.incidentId, createdAt: proposals.createdAt, riskScore: proposals.riskScore, action: proposals.action, mode: proposals.mode });
    if (!row) {
      const [p] = await tx.select({ status: proposals.status, escalatedAt: proposals.escalatedAt }).from(proposals).where(eq(proposals.id, proposalId)).limit(1);
      if (!p) return { escalated: false, reason: 'not_found' };
      return { escalated: false, reason: p.status !== 'pending' ? 'not_pending' : 'already_escalated' };
    }
    const held = row.action === 'page_oncall' ? await pageHeld(tx, deps, row) : undefined;
    if (row.action === 'page_oncall' && held === undefined) return pageAnyway(tx, deps, row, now);
    return renotify(tx, deps, row, now, held);
  });
  if (!result.escalated) return result;
  deps.logger.info({ proposal_id: proposalId, did: result.did, paged: result.paged, not_paged: result.not_paged }, result.did === 'paged_anyway' ? 'page still pending at escalation: paging anyway' : 'proposal escalated');
  deps.poke?.();
  if (result.did !== 'paged_anyway') return result;
  // The execute job was written with the decision: a failure here leaves it to a lane.
  const view = await executeApproved(deps, { proposalId }).catch((e: unknown) => {
    if (isDomainError(e)) return undefined;
    throw e;
  });
  const r = view?.result as { paged?: unknown; not_paged?: unknown } | null | undefined;
  if (view?.status !== 'succeeded' || typeof r?.paged !== 'boolean') return { ...result, paged: false, not_paged: `not executed: the proposal is ${view?.status ?? 'unknown'}` };
  return { ...result, paged: r.paged, ...(typeof r.not_paged === 'string' ? { not_paged: r.not_paged } : {}) };
}

/** Why a page must not go out on its own at escalation (shadow, paused); the gate checks again at the claim. */
async function pageHeld(tx: Tx, deps: ServiceDeps, row: Escalated): Promise<string | undefined> {
  const shadow = shadowHold(deps, row);
  if (shadow) return shadow;
  const sw = await readSwitch(tx, 'share');
  return sw.paused ? `the agent is paused by ${sw.pausedBy ?? 'someone'}: nothing executes until it is resumed` : undefined;
}

/** What re-notifying pages: PagerDuty's channel when it is configured, nobody otherwise (and never in shadow). */
function escalationPage(deps: ServiceDeps, row: Escalated): PageOutcome {
  const shadow = shadowHold(deps, row);
  if (shadow) return { paged: false, not_paged: `${shadow}: nobody is paged` };
  // The PagerDuty channel exists only with PAGERDUTY_ROUTING_KEY (main.ts configuredChannels).
  if (!deps.channels.includes('pagerduty')) return { paged: false, not_paged: NOT_PAGED_UNCONFIGURED };
  return { paged: true };
}

async function renotify(tx: Tx, deps: ServiceDeps, row: Escalated, now: Date, pageHeldBy: string | undefined): Promise<EscalateResult> {
  const pendingMs = now.getTime() - row.createdAt.getTime();
  const page = escalationPage(deps, row);
  const notified = deps.channels.filter((c) => c !== 'pagerduty');
  const said = { did: 'renotified' as const, notified, ...page, ...(pageHeldBy ? { page_held: pageHeldBy } : {}) };
  await appendAudit(tx, {
    kind: 'proposal.escalated',
    actor: SCHEDULER,
    incidentId: row.incidentId,
    proposalId: row.id,
    payload: { pending_ms: pendingMs, escalate_after_ms: deps.lifecycle.escalateAfterMs, risk_score: row.riskScore, channels: [...deps.channels], ...said },
  });
  await enqueueNotification(tx, deps, 'proposal.escalated', { incidentId: row.incidentId, proposalId: row.id }, { pending_ms: pendingMs, ...said });
  return { escalated: true, ...page, did: 'renotified' };
}

/** A page nobody decided on: approved by the policy (not a person) in this transaction, executed after it. */
async function pageAnyway(tx: Tx, deps: ServiceDeps, row: Escalated, now: Date): Promise<EscalateResult> {
  const reason = PAGE_UNSEEN_REASON(deps.lifecycle.escalateAfterMs);
  const p = await transitionOne(tx, row.id, 'pending', 'approved', { decidedBy: 'system:policy', decidedVia: 'policy', decidedAt: now, decisionReason: reason, updatedAt: now });
  if (!p) return { escalated: false, reason: 'not_pending' };
  await writeExecuteJob(deps, tx, row.id, now);
  const refs = { incidentId: row.incidentId, proposalId: row.id };
  await appendAudit(
    tx,
    {
      kind: 'proposal.escalated',
      actor: SCHEDULER,
      ...refs,
      payload: { pending_ms: now.getTime() - row.createdAt.getTime(), escalate_after_ms: deps.lifecycle.escalateAfterMs, risk_score: row.riskScore, channels: [], did: 'paged_anyway', reason },
    },
    { kind: 'proposal.approved', actor: POLICY, ...refs, payload: { channel: 'policy', reason } },
  );
  await enqueueNotification(tx, deps, 'proposal.decided', refs, { decision: 'approve', by: 'policy', reason });
  deps.metrics?.decisions.inc({ channel: 'auto', decision: 'approve' });
  deps.metrics?.proposalsTransitions.inc({ action: row.action, status: 'approved' });
  return { escalated: true, did: 'paged_anyway' };
}
