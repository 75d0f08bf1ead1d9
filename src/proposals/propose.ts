import { eq } from 'drizzle-orm';
import type { IncidentContext, ProposalDraft } from '../agent/reasoner.js';
import { appendAudit, type AuditRecord } from '../audit/append.js';
import { schema } from '../db/client.js';
import { normalizeAction, specFor, type ActionRequest, type Adjustment } from '../domain/actions.js';
import { eventContradiction } from '../domain/contradiction.js';
import { DomainError, isDomainError } from '../domain/errors.js';
import { approvalsRequired, humanRequired } from '../domain/approvals.js';
import { routeWithBrakes, type Route } from '../domain/policy.js';
import type { Actor } from '../domain/proposal.js';
import { targetOf } from '../domain/risk.js';
import { targetProblem, targetsOf } from '../domain/targets.js';
import { withTransaction } from './context.js';
import { executeApproved } from './execute.js';
import { waitingJobs, writeExecuteJob } from './schedule.js';
import { brakesFor } from './gate.js';
import { readSwitch } from './kill-switch.js';
import { snapshotTarget } from './recheck.js';
import { gatherFacts, scoreProposal } from './score.js';
import { newId } from './ids.js';
import { recordReasoning } from '../metrics.js';
import { enqueue, enqueueNotification } from '../jobs/index.js';
import { transition } from './transition.js';
import { getProposal, loadIncidentContext } from './queries.js';
import type { ProposalView, ServiceDeps } from './types.js';

const { proposals } = schema;
const POLICY: Actor = { type: 'system', name: 'policy' };
const AGENT: Actor = { type: 'system', name: 'agent' };

export interface ProposeInput {
  incidentId: string;
  /** A revision (thread conversation) brings its own draft and supersedes the pending proposal. */
  draft?: ProposalDraft;
  actor?: Actor;
  /** When the reasoner must have answered (epoch ms); past it, the playbook's proposal (reasoning-pool.ts). */
  deadline?: number;
  /** Set when the re-check found this proposal stale: the incident is reasoned about again. */
  replaces?: string;
}

/**
 * Reasons about an incident, scores the proposal in code, routes it by policy and records it —
 * proposal, risk, audit, outbox and timers in one transaction — then executes it when auto-approved.
 * The first proposal of an incident is made once however often this is called.
 */
export async function propose(deps: ServiceDeps, input: ProposeInput): Promise<ProposalView | undefined> {
  const now = deps.clock.now();
  const ctx = await loadIncidentContext(deps.db, input.incidentId, now);
  if (!ctx) throw new DomainError('not_found', `incident ${input.incidentId} not found`);
  const revision = input.draft !== undefined;
  const fresh = input.replaces !== undefined;
  if (!revision && !fresh && ctx.history.some((h) => h.incidentId === input.incidentId)) return undefined;
  if (ctx.incident.status !== 'open' && !revision) return undefined;

  const log = deps.logger.child({ incident_id: input.incidentId });
  const draft = input.draft ?? (await reason(deps, ctx, log, input.deadline));
  const facts = await gatherFacts(deps.gateway, ctx);
  const checked = checkDraft(draft, ctx, facts.alternatives, input.actor);
  const request = checked.request;

  const risk = await scoreProposal(deps, { ctx, request, facts, now, modelAdjustment: checked.draft.riskAdjustment });
  const targetState = await snapshotTarget(deps.gateway, request);
  // The brakes (kill switch, cooldown, hourly cap, a fresh proposal after a stale one): any that
  // holds sends the proposal to a human, and says why among its factors. The gate checks again.
  const sw = await readSwitch(deps.db);
  const counts = await brakesFor(deps.db, deps, { id: '', action: request.action, target: targetOf(request) }, now);
  const braked = routeWithBrakes(risk.score, deps.policy, deps.safety, {
    ...counts,
    ...(sw.paused ? { paused: { by: sw.pausedBy, reason: sw.pausedReason, at: sw.pausedAt } } : {}),
    ...(fresh ? { replaces: input.replaces } : {}),
  });
  risk.factors.push(...braked.held.map((b) => ({ name: b.check, delta: 0, reason: b.reason })));
  // The gateway contradicting the event, the two-person rule and approver rules take
  // auto-approval off too, whatever the score allows.
  const disagrees = eventContradiction(ctx.incident.type, ctx.incident.latest, facts.reads);
  if (disagrees) risk.factors.push({ name: 'gateway_disagrees', delta: 0, reason: `${disagrees}: a person decides` });
  const mustAsk = braked.route === 'auto' ? (disagrees ? `${disagrees}: a person decides` : humanRequired(request.action, risk.score, deps.policy)) : undefined;
  const route: Route = mustAsk ? { route: 'gate', reason: mustAsk } : braked;
  const id = newId('prp');
  const spec = specFor(request.action);
  const expiresAt = new Date(now.getTime() + deps.lifecycle.proposalTtlMs);
  const auto = route.route === 'auto';

  await withTransaction(deps, async (tx) => {
    if (!revision && !fresh) {
      // Another worker may have proposed meanwhile: the first proposal is made once.
      const [existing] = await tx
        .select({ id: proposals.id })
        .from(proposals)
        .where(eq(proposals.incidentId, input.incidentId))
        .limit(1);
      if (existing) throw new AlreadyProposed();
    }
    const superseded = await transition(tx, { where: eq(proposals.incidentId, input.incidentId) }, 'pending', 'superseded', { supersededBy: id, updatedAt: now });
    const audits: AuditRecord[] = [];
    for (const s of superseded) {
      audits.push({ kind: 'proposal.superseded', actor: input.actor ?? AGENT, incidentId: input.incidentId, proposalId: s.id, payload: { superseded_by: id } });
      await enqueueNotification(tx, deps, 'proposal.superseded', { incidentId: input.incidentId, proposalId: s.id }, { superseded_by: id });
    }
    await tx.insert(proposals).values({
      id,
      incidentId: input.incidentId,
      status: auto ? 'approved' : 'pending',
      mode: deps.policy.mode,
      approvalsRequired: approvalsRequired(risk.score, deps.policy.twoPersonScore),
      action: request.action,
      target: targetOf(request),
      params: request.params as Record<string, unknown>,
      riskScore: risk.score,
      riskFactors: risk.factors,
      route: route.route,
      targetState: targetState ?? null,
      reasoning: checked.draft.reasoning,
      reasoner: checked.draft.reasoner,
      fallbackReason: checked.draft.fallbackReason ?? null,
      createdAt: now,
      updatedAt: now,
      expiresAt,
      ...(auto ? { decidedBy: 'system:policy', decidedVia: 'policy', decidedAt: now, decisionReason: route.reason } : {}),
    });
    if (checked.draft.trace) {
      audits.push({ kind: 'reasoning.completed', actor: AGENT, incidentId: input.incidentId, proposalId: id, payload: checked.draft.trace });
    }
    audits.push(
      {
        kind: 'proposal.created',
        actor: input.actor ?? AGENT,
        incidentId: input.incidentId,
        proposalId: id,
        payload: {
          action: request.action,
          params: request.params as Record<string, unknown>,
          reasoning: checked.draft.reasoning,
          reasoner: checked.draft.reasoner,
          fallback_reason: checked.draft.fallbackReason ?? null,
          raw: { action: draft.action, params: draft.params },
          adjustments: checked.adjustments,
          rejected: checked.problems,
          revision,
          ...(fresh ? { replaces: input.replaces } : {}),
          summary: spec.describe(request.params as never),
          // What the proposal was reasoned from: the stored events behind these ids are bound to
          // the trail by their `events.received` digests.
          evidence: {
            event_count: ctx.incident.eventCount,
            first_seen: ctx.incident.firstSeen.toISOString(),
            last_seen: ctx.incident.lastSeen.toISOString(),
            first_event_data: ctx.incident.first,
            latest_event_data: ctx.incident.latest,
            recent_event_ids: ctx.recentEvents.map((e) => e.id),
          },
        },
      },
      { kind: 'risk.scored', actor: AGENT, incidentId: input.incidentId, proposalId: id, payload: { score: risk.score, factors: risk.factors, route: route.route, route_reason: route.reason, threshold: deps.policy.riskThreshold, auto_approve: deps.policy.autoApprove } },
    );
    if (auto) audits.push({ kind: 'proposal.approved', actor: POLICY, incidentId: input.incidentId, proposalId: id, payload: { channel: 'policy', reason: route.reason } });
    await appendAudit(tx, ...audits);
    await enqueueNotification(tx, deps, 'proposal.created', { incidentId: input.incidentId, proposalId: id });
    if (auto) await writeExecuteJob(deps, tx, id, now);
    else await enqueue(tx, waitingJobs(deps, id, expiresAt, now));
  }).catch((e: unknown) => {
    if (e instanceof AlreadyProposed) return;
    throw e;
  });

  const view = await getProposal(deps, id);
  if (!view) return undefined;
  recordReasoning(deps.metrics, checked.draft.trace, checked.draft.fallbackReason !== undefined);
  deps.metrics?.proposalsTransitions.inc({ action: request.action, status: auto ? 'approved' : 'pending' });
  if (auto) deps.metrics?.decisions.inc({ channel: 'auto', decision: 'approve' });
  log.info({ proposal_id: id, action: request.action, risk: risk.score, route: route.route }, 'proposal recorded');
  deps.poke?.();
  if (auto) {
    // A refusal at the gate is recorded on the proposal itself; the caller (a timer) is done either way.
    return executeApproved(deps, { proposalId: id }).catch(async (e: unknown) => {
      if (!isDomainError(e)) throw e;
      return (await getProposal(deps, id)) ?? view;
    });
  }
  return view;
}

class AlreadyProposed extends Error {}

async function reason(deps: ServiceDeps, ctx: IncidentContext, log: ServiceDeps['logger'], deadline: number | undefined): Promise<ProposalDraft> {
  try {
    return await deps.reasoner.propose(ctx, deps.gateway, deadline === undefined ? undefined : { deadline });
  } catch (e) {
    // The incident is never dropped: a human is paged with what we know.
    log.error({ err: e }, 'reasoner failed; paging on-call instead');
    return pageInstead(ctx, `the reasoner failed: ${(e as Error).message}`.slice(0, 300));
  }
}

function pageInstead(ctx: IncidentContext, why: string): ProposalDraft {
  return {
    action: 'page_oncall',
    params: { severity: 'error', summary: `${ctx.incident.type} on ${ctx.incident.subject}`.slice(0, 1024), reason: why.slice(0, 500) },
    reasoning: `No safe automated remediation could be proposed (${why}). Paging on-call so a human looks at ${ctx.incident.subject}.`,
    reasoner: 'playbook',
    fallbackReason: why,
  };
}

interface Checked {
  draft: ProposalDraft;
  request: ActionRequest;
  adjustments: Adjustment[];
  problems: string[];
}

/** The model proposes, code decides: library, bounds and targets are enforced here, whatever the reasoner is. */
function checkDraft(draft: ProposalDraft, ctx: IncidentContext, alternatives: string[] | undefined, actor: Actor | undefined): Checked {
  const n = normalizeAction(draft.action, draft.params);
  const problems: string[] = [];
  if (n.ok) {
    const targets = targetsOf(ctx.incident.type, ctx.incident.latest, { alternatives: alternatives ?? [] });
    const problem = targetProblem(n.request, targets);
    // An operator in the thread may name a guardrail rule; nothing else may.
    const operatorRule = n.request.action === 'disable_guardrail_rule' && actor !== undefined && actor.type !== 'system';
    if (!problem || operatorRule) {
      return { draft, request: n.request, adjustments: [...(draft.adjustments ?? []), ...n.adjustments], problems };
    }
    problems.push(problem);
  } else {
    problems.push(...n.problems);
  }
  const fallback = pageInstead(ctx, `the proposed ${String(draft.action)} was refused: ${problems.join('; ')}`);
  const f = normalizeAction(fallback.action, fallback.params);
  if (!f.ok) throw new Error('page_oncall fallback failed validation');
  return { draft: { ...fallback, trace: draft.trace }, request: f.request, adjustments: [], problems };
}

