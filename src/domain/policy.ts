/** The routing policy: whether a scored proposal runs at once or waits for a human. */

/** live acts; shadow proposes, scores and asks as usual and never executes anything. */
export type AgentMode = 'live' | 'shadow';

export interface SafetySettings {
  /** How long after an execution its effect is watched. */
  verifyWindowMs: number;
  /** Revert a reversible action whose verification failed. */
  autoRevert: boolean;
  /** The same action on the same target never executes automatically twice within it. */
  actionCooldownMs: number;
  /** Executions per hour, all replicas together; past it every proposal waits for a human. */
  maxActionsPerHour: number;
}


export interface PolicySettings {
  riskThreshold: number;
  autoApprove: boolean;
}

export type Route = { route: 'auto'; reason: string } | { route: 'gate'; reason: string };

export function routeProposal(score: number, policy: PolicySettings): Route {
  if (!policy.autoApprove) return { route: 'gate', reason: 'auto-approve is off (SRE_AUTO_APPROVE=false): a human decides' };
  if (score <= policy.riskThreshold) {
    return { route: 'auto', reason: `risk ${score} ≤ threshold ${policy.riskThreshold} and auto-approve is on` };
  }
  return { route: 'gate', reason: `risk ${score} > threshold ${policy.riskThreshold}: a human decides` };
}
