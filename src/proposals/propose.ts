import { annotate, withSpan } from '../telemetry/index.js';
import { inIncidentTrace, rememberProposalTrace } from './trace.js';
import { eq } from 'drizzle-orm';
import type { GatewayReads } from '../actions/gateway.js';
import { recordReads } from '../actions/recorded-reads.js';
import type { IncidentContext, ProposalDraft } from '../agent/reasoner.js';
import { matchRunbook, runbookRefusal } from '../agent/runbooks/index.js';
import { appendAudit, type AuditRecord } from '../audit/append.js';
import { schema, type Tx } from '../db/client.js';
import { normalizeAction, specFor, type ActionRequest, type Adjustment } from '../domain/actions.js';
import { eventContradiction } from '../domain/contradiction.js';
import { DomainError, isDomainError } from '../domain/errors.js';
import { approvalsRequired, humanRequired } from '../domain/approvals.js';
import { pagesWithoutApproval, routeWithBrakes, type Route } from '../domain/policy.js';
import type { GatewayRead } from '../domain/decision-record.js';
import type { Actor } from '../domain/proposal.js';
import type { TargetState } from '../domain/recheck.js';
import { subjectOf, type RiskScore } from '../domain/risk.js';
import { targetProblem, targetsOf } from '../domain/targets.js';
import { holdIfSilenced } from '../silences/index.js';
import { withTransaction } from './context.js';
import { executeApproved } from './execute.js';
import { waitingJobs, writeExecuteJob } from './schedule.js';
import { brakesFor } from './gate.js';
import { readSwitch } from './kill-switch.js';
import { snapshotTarget } from './recheck.js';
import { gatherFacts, scoreProposal, type Facts } from './score.js';
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

/** A proposal decided in code and ready to record: what, how risky, where it goes. */
interface Planned {
  id: string;
  input: ProposeInput;
  ctx: IncidentContext;
  draft: ProposalDraft;
  checked: Checked;
  risk: RiskScore;
  route: Route;
  targetState: TargetState | undefined;
  now: Date;
  expiresAt: Date;
  /** What the gateway answered while the proposal was made (reasoner, facts, snapshot): recorded for replay. */
  reads: GatewayRead[];
}

/**
 * Reasons about an incident, scores the proposal in code, routes it by policy and records it —
 * proposal, risk, audit, outbox and jobs in one transaction — then executes it when auto-approved.
 * The first proposal of an incident is made once however often this is called.
 */
export function propose(deps: ServiceDeps, input: ProposeInput): Promise<ProposalView | undefined> {
  return inIncidentTrace(deps, { incidentId: input.incidentId }, 'sre.propose', { 'sre.incident.id': input.incidentId, 'sre.propose.revision': input.draft !== undefined }, () => proposeIn(deps, input));
}

async function proposeIn(deps: ServiceDeps, input: ProposeInput): Promise<ProposalView | undefined> {
  const now = deps.clock.now();
  const ctx = await loadIncidentContext(deps.db, input.incidentId, now);
  if (!ctx) throw new DomainError('not_found', `incident ${input.incidentId} not found`);
  ctx.runbook = matchRunbook(deps.runbooks ?? [], ctx);
  const revision = input.draft !== undefined;
  if (!revision && input.replaces === undefined && ctx.history.some((h) => h.incidentId === input.incidentId)) return undefined;
  if (ctx.incident.status !== 'open' && !revision) return undefined;
  // A silence holds the incident: no proposal until it ends (src/silences releases it then).
  if (!revision && (await holdIfSilenced(deps, input.incidentId))) return undefined;

  const log = deps.logger.child({ incident_id: input.incidentId });
  const recorder = recordReads(deps.gateway);
  const draft = input.draft ?? (await reason(deps, recorder.gateway, ctx, log, input.deadline));
  const facts = await gatherFacts(recorder.gateway, ctx);
  const checked = checkDraft(draft, ctx, facts.alternatives, input.actor);
  const risk = await scoreProposal(deps, { ctx, request: checked.request, facts, now, modelAdjustment: raiseOnly(ctx, checked.draft.riskAdjustment) });
  const [targetState, route] = await Promise.all([snapshotTarget(recorder.gateway, checked.request), routeProposal(deps, { ctx, request: checked.request, facts, risk, replaces: input.replaces, now })]);
  const plan: Planned = { id: newId('prp'), input, ctx, draft, checked, risk, route, targetState, now, expiresAt: new Date(now.getTime() + deps.lifecycle.proposalTtlMs), reads: recorder.reads() };

  await withTransaction(deps, (tx) => recordProposal(tx, deps, plan)).catch((e: unknown) => {
    if (e instanceof AlreadyProposed) return;
    throw e;
  });
  const view = await getProposal(deps, plan.id);
  if (!view) return undefined;
  const auto = route.route === 'auto';
  annotate({ 'sre.proposal.id': plan.id, 'sre.action': checked.request.action, 'sre.risk.score': risk.score, 'sre.route': route.route });
  rememberProposalTrace(plan.id, input.incidentId);
  recordReasoning(deps.metrics, checked.draft.trace, checked.draft.fallbackReason !== undefined);
  deps.metrics?.proposalsTransitions.inc({ action: checked.request.action, status: auto ? 'approved' : 'pending' });
  if (auto) deps.metrics?.decisions.inc({ channel: 'auto', decision: 'approve' });
  log.info({ proposal_id: plan.id, action: checked.request.action, risk: risk.score, route: route.route }, 'proposal recorded');
  deps.poke?.();
  if (!auto) return view;
  // A refusal at the gate is recorded on the proposal itself; the caller (a job) is done either way.
  return executeApproved(deps, { proposalId: plan.id }).catch(async (e: unknown) => {
    if (!isDomainError(e)) throw e;
    return (await getProposal(deps, plan.id)) ?? view;
  });
}

/**
 * Where a scored proposal goes. The brakes (kill switch, cooldown, hourly cap, a fresh proposal
 * after a stale one), the gateway contradicting the event, the two-person rule and approver rules
 * each send it to a person whatever the score allows, and say why among its factors (pushed onto
 * `risk.factors`). The gate checks again at the claim.
 */
async function routeProposal(
  deps: ServiceDeps,
  p: { ctx: IncidentContext; request: ActionRequest; facts: Facts; risk: RiskScore; replaces: string | undefined; now: Date },
): Promise<Route> {
  const [sw, counts] = await Promise.all([readSwitch(deps.db), brakesFor(deps.db, deps, { id: '', action: p.request.action, target: subjectOf(p.request, p.ctx.incident.key) }, p.now)]);
  const braked = routeWithBrakes(p.risk.score, deps.policy, deps.safety, {
    ...counts,
    ...(sw.paused ? { paused: { by: sw.pausedBy, reason: sw.pausedReason, at: sw.pausedAt } } : {}),
    ...(p.replaces !== undefined ? { replaces: p.replaces } : {}),
  }, p.request.action);
  p.risk.factors.push(...braked.held.map((b) => ({ name: b.check, delta: 0, reason: b.reason })));
  const disagrees = eventContradiction(p.ctx.incident.type, p.ctx.incident.latest, p.facts.reads);
  // A page without approval (SRE_PAGE_WITHOUT_APPROVAL) needs no approver, one or two; a page changes
  // nothing on the gateway, so an event the gateway contradicts is paged about, not held.
  const page = pagesWithoutApproval(p.request.action, deps.policy);
  if (disagrees) p.risk.factors.push({ name: 'gateway_disagrees', delta: 0, reason: `${disagrees}: ${page ? 'paged anyway, as a page changes nothing on the gateway and asks a person to look' : 'a person decides'}` });
  if (braked.route !== 'auto' || page) return braked;
  const mustAsk = disagrees ? `${disagrees}: a person decides` : humanRequired(p.request.action, p.risk.score, deps.policy);
  return mustAsk ? { route: 'gate', reason: mustAsk } : braked;
}

/** The proposal, what it supersedes, its audit rows, notifications and jobs, in one transaction. */
async function recordProposal(tx: Tx, deps: ServiceDeps, p: Planned): Promise<void> {
  const { id, input, now, route, risk } = p;
  const request = p.checked.request;
  const auto = route.route === 'auto';
  if (input.draft === undefined && input.replaces === undefined) {
    // Another worker may have proposed meanwhile: the first proposal is made once.
    const [existing] = await tx.select({ id: proposals.id }).from(proposals).where(eq(proposals.incidentId, input.incidentId)).limit(1);
    if (existing) throw new AlreadyProposed();
  }
  const superseded = await transition(tx, { where: eq(proposals.incidentId, input.incidentId) }, 'pending', 'superseded', { supersededBy: id, updatedAt: now });
  for (const s of superseded) await enqueueNotification(tx, deps, 'proposal.superseded', { incidentId: input.incidentId, proposalId: s.id }, { superseded_by: id });
  await tx.insert(proposals).values({
    id,
    incidentId: input.incidentId,
    status: auto ? 'approved' : 'pending',
    mode: deps.policy.mode,
    approvalsRequired: approvalsRequired(risk.score, deps.policy.twoPersonScore),
    action: request.action,
    target: subjectOf(request, p.ctx.incident.key),
    params: request.params as Record<string, unknown>,
    riskScore: risk.score,
    riskFactors: risk.factors,
    route: route.route,
    targetState: p.targetState ?? null,
    reasoning: p.checked.draft.reasoning,
    reasoner: p.checked.draft.reasoner,
    fallbackReason: p.checked.draft.fallbackReason ?? null,
    runbook: runbookRef(p.ctx),
    createdAt: now,
    updatedAt: now,
    expiresAt: p.expiresAt,
    ...(auto ? { decidedBy: 'system:policy', decidedVia: 'policy', decidedAt: now, decisionReason: route.reason } : {}),
  });
  await appendAudit(tx, ...supersededAudits(p, superseded), ...proposalAudits(deps, p));
  await enqueueNotification(tx, deps, 'proposal.created', { incidentId: input.incidentId, proposalId: id });
  if (auto) await writeExecuteJob(deps, tx, id, now);
  else await enqueue(tx, waitingJobs(deps, id, p.expiresAt, now));
}

const supersededAudits = (p: Planned, superseded: { id: string }[]): AuditRecord[] =>
  superseded.map((s) => ({ kind: 'proposal.superseded', actor: p.input.actor ?? AGENT, incidentId: p.input.incidentId, proposalId: s.id, payload: { superseded_by: p.id } }));

function proposalAudits(deps: ServiceDeps, p: Planned): AuditRecord[] {
  const { id, input, ctx, checked, risk, route } = p;
  const request = checked.request;
  const refs = { incidentId: input.incidentId, proposalId: id };
  return [
    ...(checked.draft.trace ? [{ kind: 'reasoning.completed' as const, actor: AGENT, ...refs, payload: checked.draft.trace }] : []),
    {
      kind: 'proposal.created',
      actor: input.actor ?? AGENT,
      ...refs,
      payload: {
        action: request.action,
        params: request.params as Record<string, unknown>,
        reasoning: checked.draft.reasoning,
        reasoner: checked.draft.reasoner,
        fallback_reason: checked.draft.fallbackReason ?? null,
        raw: { action: p.draft.action, params: p.draft.params },
        adjustments: checked.adjustments,
        rejected: checked.problems,
        revision: input.draft !== undefined,
        runbook: runbookRef(ctx),
        ...(input.replaces !== undefined ? { replaces: input.replaces } : {}),
        summary: specFor(request.action).describe(request.params as never),
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
        // The gateway's answers the proposal was made from, so `eval export` can replay it without a gateway.
        gateway_reads: p.reads,
      },
    },
    { kind: 'risk.scored', actor: AGENT, ...refs, payload: { score: risk.score, factors: risk.factors, route: route.route, route_reason: route.reason, threshold: deps.policy.riskThreshold, auto_approve: deps.policy.autoApprove } },
    ...(route.route === 'auto' ? [{ kind: 'proposal.approved' as const, actor: POLICY, ...refs, payload: { channel: 'policy', reason: route.reason } }] : []),
  ];
}

/** Under a runbook the model's risk suggestion may raise the score, never lower it: runbook text cannot talk the score down. */
function raiseOnly(ctx: IncidentContext, a: ProposalDraft['riskAdjustment']): ProposalDraft['riskAdjustment'] {
  return ctx.runbook && a && a.delta < 0 ? undefined : a;
}

/** What a proposal records of the runbook it followed: the file (relative to SRE_RUNBOOK_DIR) and its SHA-256. */
const runbookRef = (ctx: IncidentContext) => (ctx.runbook ? { path: ctx.runbook.path, sha256: ctx.runbook.sha256 } : null);

class AlreadyProposed extends Error {}

/** The reasoning, as one span (gen_ai invoke_agent) around the reasoner's model and tool calls; a fallback says its cause. */
function reason(deps: ServiceDeps, gateway: GatewayReads, ctx: IncidentContext, log: ServiceDeps['logger'], deadline: number | undefined): Promise<ProposalDraft> {
  const attributes = { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'sre-agent', 'sre.reasoner': deps.reasoner.name, 'sre.incident.id': ctx.incident.id };
  return withSpan(`invoke_agent ${deps.reasoner.name}`, { attributes }, async (span) => {
    const draft = await reasonUntraced(deps, gateway, ctx, log, deadline);
    span.setAttributes({ 'sre.action': draft.action, 'sre.reasoner.answered': draft.reasoner });
    if (draft.fallbackReason !== undefined) span.setAttributes({ 'sre.reasoning.fallback': true, 'sre.reasoning.fallback_reason': draft.fallbackReason.slice(0, 500) });
    return draft;
  });
}

async function reasonUntraced(deps: ServiceDeps, gateway: GatewayReads, ctx: IncidentContext, log: ServiceDeps['logger'], deadline: number | undefined): Promise<ProposalDraft> {
  try {
    return await deps.reasoner.propose(ctx, gateway, deadline === undefined ? undefined : { deadline });
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
    // A runbook's `never` binds every reasoner and every revision: the draft falls back to a page.
    const forbidden = runbookRefusal(ctx.runbook, n.request.action);
    if (forbidden) problems.push(forbidden);
    else if (!problem || operatorRule) {
      return { draft, request: n.request, adjustments: [...(draft.adjustments ?? []), ...n.adjustments], problems };
    } else {
      problems.push(problem);
    }
  } else {
    problems.push(...n.problems);
  }
  const fallback = pageInstead(ctx, `the proposed ${String(draft.action)} was refused: ${problems.join('; ')}`);
  const f = normalizeAction(fallback.action, fallback.params);
  if (!f.ok) throw new Error('page_oncall fallback failed validation');
  return { draft: { ...fallback, trace: draft.trace }, request: f.request, adjustments: [], problems };
}

