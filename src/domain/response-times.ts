/**
 * Response-time figures for the tuning report (issue 20, item 5): how long after an incident was
 * detected it had a proposal, a decision, an execution and a verification, as p50 and p90 per
 * action and overall, and how many incidents closed with no action. Pure: timings in, figures out.
 */

/** One proposal's times from its incident's detection (`incident.opened`), in ms; absent where the step never happened. */
export interface ProposalTiming {
  action: string;
  toProposal?: number | undefined;
  toDecision?: number | undefined;
  toExecution?: number | undefined;
  toVerification?: number | undefined;
}

export interface Spread {
  p50_ms: number | null;
  p90_ms: number | null;
  count: number;
}

export interface ResponseFigures {
  to_proposal: Spread;
  to_decision: Spread;
  to_execution: Spread;
  to_verification: Spread;
}

export const RESPONSE_STEPS = ['to_proposal', 'to_decision', 'to_execution', 'to_verification'] as const;
const FIELD = { to_proposal: 'toProposal', to_decision: 'toDecision', to_execution: 'toExecution', to_verification: 'toVerification' } as const;

/** Nearest-rank percentile (the value a reader can find in the data), null with no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function responseFigures(timings: readonly ProposalTiming[]): ResponseFigures {
  const spread = (step: (typeof RESPONSE_STEPS)[number]): Spread => {
    const values = timings.map((t) => t[FIELD[step]]).filter((v): v is number => v !== undefined);
    return { p50_ms: percentile(values, 50), p90_ms: percentile(values, 90), count: values.length };
  };
  return { to_proposal: spread('to_proposal'), to_decision: spread('to_decision'), to_execution: spread('to_execution'), to_verification: spread('to_verification') };
}

/** Per action, sorted by action id. */
export function responseByAction(timings: readonly ProposalTiming[]): Map<string, ResponseFigures> {
  const by = new Map<string, ProposalTiming[]>();
  for (const t of timings) by.set(t.action, [...(by.get(t.action) ?? []), t]);
  return new Map([...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([a, ts]) => [a, responseFigures(ts)]));
}
