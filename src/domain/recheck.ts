import type { ActionRequest } from './actions.js';
import type { RiskFactor } from './risk.js';

/**
 * The re-check at decision time, as pure rules: the present (incident, target, risk scored again)
 * against what the proposal was made on. The caller reads the gateway and the database first.
 */

/** The target as the gateway shows it; stored with the proposal and read again before executing. */
export type TargetState =
  | { kind: 'provider'; healthy: boolean; circuit_open_until: string | null }
  | { kind: 'model_group'; provider: string }
  | { kind: 'team'; requests_per_minute: number }
  | { kind: 'budget'; hard_limit_usd: number }
  | { kind: 'guardrail'; enabled: boolean }
  | { kind: 'sla'; enabled: boolean }
  /** The gateway has no read for this target (a page, or an admin-api without the read). */
  | { kind: 'unknown'; why: string };

export interface RecheckInput {
  request: ActionRequest;
  at: Date;
  proposal: { createdAt: Date; riskScore: number; targetState: TargetState | undefined };
  incident: { status: string; closedAt: Date | null; lastEventAt: Date | null };
  /** The target now; an Error when the read failed (the re-check then fails closed). */
  target: TargetState | Error;
  risk: { score: number; factors: RiskFactor[] };
  policy: { riskThreshold: number; autoApprove: boolean; twoPersonScore: number };
  /** An incident with no event for this long since the proposal went quiet. */
  quietMs: number;
  /**
   * A re-send of an execution cut off by a crash: a target that already shows the action's own
   * effect is expected (the first send may have landed), not a reason to stop; the same
   * Idempotency-Key then replays the first answer.
   */
  resend?: boolean;
}

export interface Check {
  check: 'incident' | 'target' | 'risk';
  ok: boolean;
  detail: string;
}

export interface RecheckResult {
  checked: Check[];
  /** The first finding that makes the proposal stale; undefined when the present still matches. */
  stale?: string;
}

export const COULD_NOT_CONFIRM = 'could not confirm the current state';

export function recheck(input: RecheckInput): RecheckResult {
  const checked = [incidentCheck(input), targetCheck(input), riskCheck(input)];
  const bad = checked.find((c) => !c.ok);
  return bad ? { checked, stale: bad.detail } : { checked };
}

function incidentCheck({ incident, proposal, at, quietMs }: RecheckInput): Check {
  if (incident.status !== 'open') {
    return { check: 'incident', ok: false, detail: `the incident closed${incident.closedAt ? ` at ${incident.closedAt.toISOString()}` : ''} since the proposal` };
  }
  const last = incident.lastEventAt;
  if (last && last < proposal.createdAt && at.getTime() - last.getTime() >= quietMs) {
    return { check: 'incident', ok: false, detail: `the incident went quiet: no event since ${last.toISOString()} (${Math.round((at.getTime() - last.getTime()) / 60_000)} min)` };
  }
  return { check: 'incident', ok: true, detail: last ? `open; last event ${last.toISOString()}` : 'open' };
}

function targetCheck({ request, proposal, target, at, resend }: RecheckInput): Check {
  if (target instanceof Error) return { check: 'target', ok: false, detail: `${COULD_NOT_CONFIRM} (${target.message.slice(0, 300)})` };
  const change = targetChange(request, proposal.targetState, target, at);
  if (change && resend && change.applied) return { check: 'target', ok: true, detail: `shows the action's effect already (${change.text}): re-sent under the same Idempotency-Key` };
  if (change) return { check: 'target', ok: false, detail: change.text };
  return { check: 'target', ok: true, detail: target.kind === 'unknown' ? `not checked: ${target.why}` : `unchanged: ${JSON.stringify(target)}` };
}

/**
 * What already changed on the target, in words (`applied`: it is what the action itself would
 * do); undefined when the action still makes sense.
 */
export function targetChange(request: ActionRequest, before: TargetState | undefined, now: TargetState, at: Date): { text: string; applied: boolean } | undefined {
  const r = changeText(request, before, now, at);
  return r && { text: r[0], applied: r[1] };
}

function changeText(request: ActionRequest, before: TargetState | undefined, now: TargetState, at: Date): [string, boolean] | undefined {
  switch (request.action) {
    case 'circuit_break_provider': {
      if (now.kind !== 'provider') return undefined;
      const p = request.params.provider;
      if (now.circuit_open_until && Date.parse(now.circuit_open_until) > at.getTime()) return [`the breaker of ${p} is already open until ${now.circuit_open_until}`, true];
      if (before?.kind === 'provider' && !before.healthy && now.healthy) return [`${p} is healthy again`, false];
      return undefined;
    }
    case 'reroute_model_group': {
      if (now.kind !== 'model_group') return undefined;
      const { model_group: g, provider, previous_provider: prev } = request.params;
      if (now.provider === provider) return [`the routing of ${g} already moved to ${provider}`, true];
      if (now.provider !== prev) return [`${g} now routes to ${now.provider}, not ${prev} as the proposal assumed`, false];
      return undefined;
    }
    case 'raise_rate_limit': {
      if (now.kind !== 'team') return undefined;
      const { team, requests_per_minute: want, previous } = request.params;
      if (now.requests_per_minute >= want) return [`${team}'s rate limit is already ${now.requests_per_minute} rpm (asked for ${want})`, now.requests_per_minute === want];
      if (now.requests_per_minute !== previous) return [`${team}'s rate limit is now ${now.requests_per_minute} rpm, not ${previous} as the proposal assumed`, false];
      return undefined;
    }
    case 'bump_budget_cap': {
      if (now.kind !== 'budget') return undefined;
      const { scope, scope_id: id, hard_limit_usd: want, previous } = request.params;
      if (now.hard_limit_usd >= want) return [`the hard cap of ${scope} ${id} is already $${now.hard_limit_usd} (asked for $${want})`, now.hard_limit_usd === want];
      if (now.hard_limit_usd !== previous) return [`the hard cap of ${scope} ${id} is now $${now.hard_limit_usd}, not $${previous} as the proposal assumed`, false];
      return undefined;
    }
    case 'disable_guardrail_rule':
      return now.kind === 'guardrail' && !now.enabled ? [`guardrail rule ${request.params.rule} is already disabled`, true] : undefined;
    case 'disable_sla_contract':
      return now.kind === 'sla' && !now.enabled ? [`SLA contract ${request.params.sla_id} is already disabled`, true] : undefined;
    case 'page_oncall':
      return undefined;
  }
}

function riskCheck({ proposal, risk, policy }: RecheckInput): Check {
  const seen = proposal.riskScore;
  if (risk.score <= seen) return { check: 'risk', ok: true, detail: `scored again: ${risk.score} (was ${seen})` };
  const crossed: string[] = [];
  if (seen <= policy.riskThreshold && risk.score > policy.riskThreshold) crossed.push(`past the threshold ${policy.riskThreshold}`);
  if (seen < policy.twoPersonScore && risk.score >= policy.twoPersonScore) crossed.push(`past the two-person score ${policy.twoPersonScore}`);
  const added = risk.factors.filter((f) => f.delta > 0).map((f) => `${f.name} ${f.delta > 0 ? '+' : ''}${f.delta}`).join(', ');
  return {
    check: 'risk',
    ok: false,
    detail: `the risk scored again is ${risk.score}, above the ${seen} the approver saw${crossed.length ? ` (${crossed.join(', ')})` : ''}; factors now: ${added}`,
  };
}
