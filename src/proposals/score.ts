import type { GatewayReads } from '../actions/gateway.js';
import type { IncidentContext } from '../agent/reasoner.js';
import type { ActionRequest } from '../domain/actions.js';
import type { SubjectReads } from '../domain/contradiction.js';
import { FAILED_VERIFICATION_WINDOW_MS, REJECTION_WINDOW_MS, scoreRisk, subjectOf, type RiskInput, type RiskScore } from '../domain/risk.js';
import { targetsOf } from '../domain/targets.js';
import { recentFailedVerifications } from './past-incidents.js';
import { targetHistory } from './queries.js';
import type { ServiceDeps } from './types.js';

/**
 * Risk scoring with its facts, shared by propose and the re-check at decision time, so a proposal
 * scored again now is scored exactly as it was made (only the present may differ).
 */

export interface Facts {
  requestsPerMinute?: number;
  teamsAffected?: number;
  /** Healthy providers other than the incident's, in its model group. Undefined when unknown. */
  alternatives?: string[];
  /** The gateway's own reads of the incident's subject, to hold against what the event says. */
  reads: SubjectReads;
  /** Reads that failed (thrown, not merely empty): a risk factor when traffic is moved without them. */
  readsMissing?: string[];
}

async function safely<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

export async function gatherFacts(gateway: GatewayReads, ctx: Pick<IncidentContext, 'incident'>): Promise<Facts> {
  const d = ctx.incident.latest;
  const facts: Facts = { reads: {} };
  if (ctx.incident.type === 'provider.unhealthy' && typeof d.requests === 'number' && typeof d.window_seconds === 'number' && d.window_seconds > 0) {
    facts.requestsPerMinute = (d.requests / d.window_seconds) * 60;
  }
  // The two reads are independent: made side by side, as the re-check at decision time waits on them.
  const scope: 'team' | 'org' | undefined = d.scope === 'team' ? 'team' : d.scope === 'org' ? 'org' : undefined;
  const budget = ctx.incident.type === 'budget.exceeded' && scope && typeof d.scope_id === 'string' ? { scope, id: d.scope_id } : undefined;
  const missing: string[] = [];
  const noted = async <T>(what: string, p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch {
      missing.push(what);
      return undefined;
    }
  };
  const [p, g, b] = await Promise.all([
    typeof d.provider === 'string' ? noted('provider', gateway.getProvider(d.provider)) : undefined,
    typeof d.model_group === 'string' ? noted('model group', gateway.getModelGroup(d.model_group)) : undefined,
    budget ? safely(gateway.getBudget(budget.scope, budget.id)) : undefined,
  ]);
  if (missing.length > 0) facts.readsMissing = missing;
  facts.reads = { ...(p ? { provider: p } : {}), ...(b ? { budget: b } : {}) };
  if (p?.requests_per_minute !== undefined) facts.requestsPerMinute ??= p.requests_per_minute;
  if (p?.teams !== undefined) facts.teamsAffected = p.teams;
  if (g) facts.alternatives = g.providers.filter((x) => x.healthy && x.name !== d.provider).map((x) => x.name);
  return facts;
}

export interface ScoreInput {
  ctx: Pick<IncidentContext, 'incident'>;
  request: ActionRequest;
  facts: Facts;
  now: Date;
  modelAdjustment?: { delta: number; reason: string } | undefined;
  /** The proposal being scored again: it is not its own history. */
  excludeProposalId?: string;
}

/** The subject's own history the score weighs: its proposals and the executions of this action that did not help. */
export interface ScoringHistory {
  history: RiskInput['history'];
  failedVerifications: Awaited<ReturnType<typeof recentFailedVerifications>>;
}

/**
 * Reads a score's history: two independent look-ups, sent side by side. Needs only the incident's
 * key and the request, so the re-check starts it beside its gateway reads.
 */
export async function scoringHistory(
  deps: Pick<ServiceDeps, 'db'>,
  input: { incidentKey: string; request: ActionRequest; now: Date; excludeProposalId?: string | undefined },
): Promise<ScoringHistory> {
  const { request, now } = input;
  // History is the subject's own (a page's is its incident's key): never another incident's page.
  const subject = subjectOf(request, input.incidentKey);
  const [rows, failedVerifications] = await Promise.all([
    targetHistory(deps.db, subject, new Date(now.getTime() - REJECTION_WINDOW_MS)),
    // Its own look-up, apart from the history above: executions of this action here that did not help.
    recentFailedVerifications(deps.db, { action: request.action, subject, since: new Date(now.getTime() - FAILED_VERIFICATION_WINDOW_MS), excludeProposalId: input.excludeProposalId }),
  ]);
  const history = rows.filter((h) => h.id !== input.excludeProposalId).map((h) => ({ ...h, action: h.action as RiskInput['request']['action'] }));
  return { history, failedVerifications };
}

/** Scores a proposal; `known` is its history when the caller already read it (scoringHistory). */
export async function scoreProposal(deps: Pick<ServiceDeps, 'db' | 'policy'>, input: ScoreInput, known?: ScoringHistory): Promise<RiskScore> {
  const { ctx, request, facts, now } = input;
  const { history, failedVerifications } = known ?? (await scoringHistory(deps, { incidentKey: ctx.incident.key, request, now, excludeProposalId: input.excludeProposalId }));
  const latest = ctx.incident.latest;
  return scoreRisk({
    request,
    now,
    timeZone: deps.policy.timeZone,
    criticalTeams: deps.policy.criticalTeams,
    incident: {
      type: ctx.incident.type,
      teams: targetsOf(ctx.incident.type, latest).teams,
      requestsPerMinute: facts.requestsPerMinute,
      teamsAffected: facts.teamsAffected,
      healthyAlternatives: facts.alternatives === undefined ? undefined : facts.alternatives.length,
      readsMissing: facts.readsMissing,
    },
    history,
    subject: subjectOf(request, ctx.incident.key),
    failedVerifications,
    modelAdjustment: input.modelAdjustment,
  });
}
