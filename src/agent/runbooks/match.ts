import type { ActionId } from '../../domain/actions.js';
import { classifyEvidence, type FailureClass } from '../evidence.js';
import type { IncidentContext } from '../reasoner.js';
import { MATCH_KEYS, type Runbook, type RunbookMatch } from './runbook.js';

/**
 * Which runbook an incident follows: every key of a runbook's `match` must equal the incident's
 * value; among those that match, the one naming the most keys wins, then the first by path.
 * Pure.
 */

export type IncidentFacts = { [K in keyof RunbookMatch]?: string };

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The incident's values of the match keys. The failure class is code's reading of the sample errors. */
export function incidentFacts(ctx: Pick<IncidentContext, 'incident'>): IncidentFacts {
  const { type, latest } = ctx.incident;
  const samples = Array.isArray(latest.sample_errors) ? latest.sample_errors.filter((x): x is string => typeof x === 'string') : [];
  const failure: FailureClass | undefined = samples.length > 0 ? classifyEvidence({ sampleErrors: samples }).cls : undefined;
  const team = str(latest.team) ?? (latest.scope === 'team' ? str(latest.scope_id) : undefined);
  const facts: IncidentFacts = { type, provider: str(latest.provider), model_group: str(latest.model_group), team, sla_id: str(latest.sla_id), failure };
  for (const k of MATCH_KEYS) if (facts[k] === undefined) delete facts[k];
  return facts;
}

export function matches(rb: Pick<Runbook, 'match'>, facts: IncidentFacts): boolean {
  return MATCH_KEYS.every((k) => rb.match[k] === undefined || rb.match[k] === facts[k]);
}

/** The runbook an incident follows, or undefined. `runbooks` are in path order. */
export function matchRunbook(runbooks: readonly Runbook[], ctx: Pick<IncidentContext, 'incident'>): Runbook | undefined {
  const facts = incidentFacts(ctx);
  let best: Runbook | undefined;
  for (const rb of runbooks) {
    if (!matches(rb, facts)) continue;
    if (!best || Object.keys(rb.match).length > Object.keys(best.match).length) best = rb;
  }
  return best;
}

/** Narrowing only: the allowed actions less the runbook's `never`, `prefer` first in its order. */
export function narrowActions(allowed: readonly ActionId[], rb: Pick<Runbook, 'prefer' | 'never'> | undefined): ActionId[] {
  if (!rb) return [...allowed];
  const left = allowed.filter((a) => !rb.never.includes(a));
  return [...rb.prefer.filter((a) => left.includes(a)), ...left.filter((a) => !rb.prefer.includes(a))];
}

/** Why a runbook refuses an action, or undefined when it allows it. */
export function runbookRefusal(rb: Pick<Runbook, 'path' | 'never'> | undefined, action: ActionId): string | undefined {
  if (!rb || !rb.never.includes(action)) return undefined;
  return `the runbook ${rb.path} forbids ${action} (never)`;
}
