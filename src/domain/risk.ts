import { ACTIONS, specFor, type ActionId, type ActionRequest } from './actions.js';
import type { EventType } from './events.js';

/**
 * Risk scoring: the action's baseline plus context heuristics, each recorded as a factor with
 * its delta and reason, clamped to 0–100. Pure: the clock and every fact arrive as arguments.
 */

export interface RiskFactor {
  name: string;
  delta: number;
  reason: string;
}

export interface PastProposal {
  action: ActionId;
  target: string;
  status: string;
  createdAt: Date;
  decidedAt: Date | null;
  decisionReason: string | null;
}

/** An execution whose verification failed (it did not help), reverted afterwards or not. */
export interface FailedVerification {
  action: ActionId;
  target: string;
  /** When the verdict was recorded (or, failing that, when the action was decided). */
  at: Date;
  reason: string | null;
  reverted: boolean;
}

export interface RiskInput {
  request: ActionRequest;
  now: Date;
  timeZone: string;
  criticalTeams: readonly string[];
  incident: {
    type: EventType;
    /** Teams named by the incident (SLA team, budget team). */
    teams: readonly string[];
    /** Traffic the action touches, requests per minute, where known. */
    requestsPerMinute?: number;
    /** How many teams the action touches, where known. */
    teamsAffected?: number;
    /** Healthy alternatives left for the traffic a circuit-break sheds, where known. */
    healthyAlternatives?: number;
    /** Gateway reads that failed while the proposal was made ("provider", "model group"). */
    readsMissing?: readonly string[];
  };
  /** Proposals on the same subject in the look-back window, newest first. */
  history: readonly PastProposal[];
  /**
   * What the history factors match on (`subjectOf`): a past proposal counts only when its target
   * is this subject. Absent: the action's own target.
   */
  subject?: string;
  /** Executions of actions on the subject whose verification failed, newest first (recent_failed_verification). */
  failedVerifications?: readonly FailedVerification[];
  /** The reasoner's bounded suggestion, recorded as one factor among the others. */
  modelAdjustment?: { delta: number; reason: string };
}

export interface RiskScore {
  score: number;
  factors: RiskFactor[];
}

export const REPETITION_WINDOW_MS = 24 * 3_600_000;
export const REJECTION_WINDOW_MS = 7 * 24 * 3_600_000;
export const MODEL_ADJUSTMENT_BOUND = 10;

export function clampScore(n: number): number {
  // A non-number never slips under the threshold: it scores as risky as it gets.
  if (!Number.isFinite(n)) return 100;
  return Math.max(0, Math.min(100, Math.round(n)));
}

export function scoreRisk(input: RiskInput): RiskScore {
  const spec = specFor(input.request.action);
  const factors: RiskFactor[] = [
    { name: 'baseline', delta: spec.baseline, reason: `baseline risk of ${input.request.action}` },
  ];
  const push = (f: RiskFactor | undefined) => {
    if (f && f.delta !== 0) factors.push(f);
  };
  push(timeOfDay(input.now, input.timeZone));
  push(blastRadius(input));
  push(noAlternative(input));
  push(teamCriticality(input));
  push(repetition(input));
  push(magnitude(input.request));
  push(recentRejection(input));
  push(recentFailedVerification(input));
  push(readMissing(input));
  if (input.modelAdjustment) {
    const raw = Number.isFinite(input.modelAdjustment.delta) ? input.modelAdjustment.delta : 0;
    const d = Math.max(-MODEL_ADJUSTMENT_BOUND, Math.min(MODEL_ADJUSTMENT_BOUND, Math.round(raw)));
    push({ name: 'model_adjustment', delta: d, reason: input.modelAdjustment.reason.slice(0, 300) || '(no reason given)' });
  }
  const raw = factors.reduce((s, f) => s + f.delta, 0);
  return { score: clampScore(raw), factors };
}

/** One formatter a time zone: building an Intl.DateTimeFormat costs far more than formatting with one, and every score asks. */
const hourAndWeekday = new Map<string, Intl.DateTimeFormat>();

/** Local hour and weekday in the operators' time zone. */
export function localTime(now: Date, timeZone: string): { hour: number; weekday: number } {
  let f = hourAndWeekday.get(timeZone);
  if (!f) hourAndWeekday.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23', weekday: 'short' })));
  const parts = f.formatToParts(now);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? '0');
  const wd = parts.find((p) => p.type === 'weekday')?.value ?? 'Mon';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(wd);
  return { hour, weekday };
}

export function timeOfDay(now: Date, timeZone: string): RiskFactor | undefined {
  const { hour, weekday } = localTime(now, timeZone);
  const weekend = weekday === 0 || weekday === 6;
  const night = hour >= 22 || hour < 7;
  const evening = !night && (hour >= 18 || hour < 9);
  if (weekend && night) return { name: 'time_of_day', delta: 15, reason: `weekend night (${hour}:00 ${timeZone}): fewest responders at hand` };
  if (weekend) return { name: 'time_of_day', delta: 10, reason: `weekend (${hour}:00 ${timeZone}): fewer responders at hand` };
  if (night) return { name: 'time_of_day', delta: 10, reason: `night (${hour}:00 ${timeZone}): fewer responders at hand` };
  if (evening) return { name: 'time_of_day', delta: 5, reason: `outside business hours (${hour}:00 ${timeZone})` };
  return undefined;
}

const TRAFFIC_ACTIONS: ReadonlySet<ActionId> = new Set(['circuit_break_provider', 'reroute_model_group', 'disable_guardrail_rule']);

export function blastRadius(input: RiskInput): RiskFactor | undefined {
  const { request, incident } = input;
  let delta = 0;
  const reasons: string[] = [];
  const rpm = incident.requestsPerMinute;
  if (rpm !== undefined && TRAFFIC_ACTIONS.has(request.action)) {
    const d = rpm >= 10_000 ? 15 : rpm >= 1_000 ? 8 : rpm >= 100 ? 3 : 0;
    if (d > 0) {
      delta += d;
      reasons.push(`${Math.round(rpm).toLocaleString('en-US')} requests/min affected`);
    }
  }
  const teams = incident.teamsAffected;
  if (teams !== undefined && teams >= 3) {
    delta += teams >= 10 ? 10 : 5;
    reasons.push(`${teams} teams affected`);
  }
  if (request.action === 'bump_budget_cap' && request.params.scope === 'org') {
    delta += 10;
    reasons.push('an organisation-wide cap');
  }
  return delta > 0 ? { name: 'blast_radius', delta, reason: reasons.join('; ') } : undefined;
}

export function noAlternative(input: RiskInput): RiskFactor | undefined {
  if (input.request.action !== 'circuit_break_provider') return undefined;
  if (input.incident.healthyAlternatives === 0) {
    return { name: 'no_alternative', delta: 20, reason: 'no healthy provider is left to take the shed traffic' };
  }
  return undefined;
}

function teamsOf(request: ActionRequest): string[] {
  switch (request.action) {
    case 'raise_rate_limit':
      return [request.params.team];
    case 'bump_budget_cap':
      return request.params.scope === 'team' ? [request.params.scope_id] : [];
    default:
      return [];
  }
}

export function teamCriticality(input: RiskInput): RiskFactor | undefined {
  const teams = new Set([...teamsOf(input.request), ...input.incident.teams]);
  const critical = [...teams].filter((t) => input.criticalTeams.includes(t));
  if (critical.length === 0) return undefined;
  return { name: 'team_criticality', delta: 15, reason: `critical team${critical.length > 1 ? 's' : ''}: ${critical.join(', ')}` };
}

export function targetOf(request: ActionRequest): string {
  return specFor(request.action).target(request.params);
}

/** Actions whose library target names no subject: every page's is `pagerduty:oncall`. */
const SUBJECTLESS: ReadonlySet<ActionId> = new Set(['page_oncall']);

/**
 * The subject a proposal acts on, stored as its target: what the cooldown and the history factors
 * match. A page's is its incident's correlation key ("budget:team:t-42"), so a page about one
 * incident never counts against a page about another.
 */
export function subjectOf(request: ActionRequest, incidentKey: string): string {
  return SUBJECTLESS.has(request.action) ? incidentKey : targetOf(request);
}

const subjectFor = (input: RiskInput) => input.subject ?? targetOf(input.request);

/** "40 min ago", "3 h ago", "2 d ago": when a past decision was, in words. */
function ago(now: Date, then: Date): string {
  const min = Math.max(0, Math.round((now.getTime() - then.getTime()) / 60_000));
  if (min < 90) return `${min} min ago`;
  const h = Math.round(min / 60);
  return h < 48 ? `${h} h ago` : `${Math.round(h / 24)} d ago`;
}

export function repetition(input: RiskInput): RiskFactor | undefined {
  const target = subjectFor(input);
  const since = input.now.getTime() - REPETITION_WINDOW_MS;
  const done = input.history.filter(
    (h) =>
      h.action === input.request.action &&
      h.target === target &&
      ['approved', 'executing', 'succeeded', 'failed'].includes(h.status) &&
      (h.decidedAt ?? h.createdAt).getTime() >= since,
  ).length;
  if (done === 0) return undefined;
  return {
    name: 'repetition',
    delta: Math.min(20, 10 * done),
    reason: `${input.request.action} on ${target} already ran ${done}× in the last 24 h: the first did not hold`,
  };
}

export function magnitude(request: ActionRequest): RiskFactor | undefined {
  const spec = specFor(request.action);
  // Actions with no size (reroute, disable …) carry their weight in the baseline.
  if (['reroute_model_group', 'disable_guardrail_rule', 'disable_sla_contract'].includes(request.action)) return undefined;
  const m = spec.magnitude(request.params);
  const delta = Math.round(m * 10);
  if (delta === 0) return undefined;
  return { name: 'magnitude', delta, reason: `${Math.round(m * 100)} % of the hard bound (${spec.describe(request.params)})` };
}

/** Only a rejection on this very subject counts, and only its own reason is quoted. */
export function recentRejection(input: RiskInput): RiskFactor | undefined {
  const target = subjectFor(input);
  const since = input.now.getTime() - REJECTION_WINDOW_MS;
  const rejected = input.history.find(
    (h) =>
      h.action === input.request.action &&
      h.target === target &&
      h.status === 'rejected' &&
      (h.decidedAt ?? h.createdAt).getTime() >= since,
  );
  if (!rejected) return undefined;
  const why = rejected.decisionReason ? `: "${rejected.decisionReason.slice(0, 200)}"` : '';
  const when = ago(input.now, rejected.decidedAt ?? rejected.createdAt);
  return { name: 'recent_rejection', delta: 20, reason: `${input.request.action} on ${target} was rejected ${when}${why}` };
}

const MOVING_ACTIONS: ReadonlySet<ActionId> = new Set(['circuit_break_provider', 'reroute_model_group']);
export const READ_MISSING_DELTA = 15;

/** Traffic moved on the event alone: the alternatives and the gateway's own verdict went unchecked. */
export function readMissing(input: RiskInput): RiskFactor | undefined {
  const missing = [...new Set(input.incident.readsMissing ?? [])].slice(0, 4);
  if (missing.length === 0 || !MOVING_ACTIONS.has(input.request.action)) return undefined;
  return {
    name: 'read_missing',
    // Each read missing is one check skipped: with the provider read gone, neither blast radius nor contradiction is known.
    delta: Math.min(2 * READ_MISSING_DELTA, READ_MISSING_DELTA * missing.length),
    reason: `decided without the gateway's ${missing.map((m) => m.slice(0, 40)).join(' and ')} read: healthy alternatives and the gateway's own verdict could not be checked`,
  };
}

export { ACTIONS };

export const FAILED_VERIFICATION_WINDOW_MS = 7 * 24 * 3_600_000;
export const FAILED_VERIFICATION_DELTA = 15;

/** The same action on this very subject ran recently and did not help: doing it again is a bet against that verdict. */
export function recentFailedVerification(input: RiskInput): RiskFactor | undefined {
  const target = subjectFor(input);
  const since = input.now.getTime() - FAILED_VERIFICATION_WINDOW_MS;
  const failed = (input.failedVerifications ?? []).filter((f) => f.action === input.request.action && f.target === target && f.at.getTime() >= since);
  const last = failed[0];
  if (!last) return undefined;
  const why = last.reason ? `: ${last.reason.slice(0, 200)}` : '';
  const more = failed.length > 1 ? ` (${failed.length}× in the last 7 d)` : '';
  return {
    name: 'recent_failed_verification',
    delta: FAILED_VERIFICATION_DELTA,
    reason: `${input.request.action} on ${target} failed its verification ${ago(input.now, last.at)}${last.reverted ? ' and was reverted' : ''}${why}${more}`,
  };
}
