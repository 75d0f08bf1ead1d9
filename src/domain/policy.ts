/** The routing policy: whether a scored proposal runs at once or waits for a human. */

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
