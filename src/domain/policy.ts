/** The routing policy: whether a scored proposal runs at once or waits for a human. */

/** live acts; shadow proposes, scores and asks as usual and never executes anything. */
export type AgentMode = 'live' | 'shadow';

/** GET /v1/status, `/sre status`, `sre-agent status` (CONTRACT.md "HTTP"). */
export interface AgentStatus {
  mode: AgentMode;
  paused: boolean;
  paused_by: string | null;
  paused_reason: string | null;
  paused_at: string | null;
}

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
  /** SRE_PAGE_WITHOUT_APPROVAL: a page_oncall proposal pages at once, whatever its score. Absent: off. */
  pageWithoutApproval?: boolean;
}

export type Route = { route: 'auto'; reason: string } | { route: 'gate'; reason: string };

/** The reason a page went out without approval, recorded as the policy's decision. */
export const PAGE_WITHOUT_APPROVAL_REASON = 'paged without approval (SRE_PAGE_WITHOUT_APPROVAL=true): a page does not wait for the person it pages';

/** The reason a page still waiting at SRE_ESCALATE_AFTER pages anyway, recorded as the policy's decision. */
export const PAGE_UNSEEN_REASON = (escalateAfterMs: number) =>
  `paged without approval: nobody decided within SRE_ESCALATE_AFTER (${minutes(escalateAfterMs)}), and a page must not wait unseen for the person it pages`;

/** Whether this action is a page the policy sends without approval. */
export function pagesWithoutApproval(action: string | undefined, policy: Pick<PolicySettings, 'pageWithoutApproval'>): boolean {
  return action === 'page_oncall' && policy.pageWithoutApproval === true;
}

export function routeProposal(score: number, policy: PolicySettings, action?: string): Route {
  if (pagesWithoutApproval(action, policy)) return { route: 'auto', reason: PAGE_WITHOUT_APPROVAL_REASON };
  if (!policy.autoApprove) return { route: 'gate', reason: 'auto-approve is off (SRE_AUTO_APPROVE=false): a human decides' };
  if (score <= policy.riskThreshold) {
    return { route: 'auto', reason: `risk ${score} ≤ threshold ${policy.riskThreshold} and auto-approve is on` };
  }
  return { route: 'gate', reason: `risk ${score} > threshold ${policy.riskThreshold}: a human decides` };
}

/**
 * The brakes on automatic execution, counted in PostgreSQL by the caller. Each one that holds
 * sends the proposal to a human and says why as a risk factor of delta 0 (the score is unchanged;
 * the route is not).
 */
export interface Brakes {
  paused?: { by: string | null; reason: string | null; at: Date | null };
  /** The latest execution of the same action on the same target inside SRE_ACTION_COOLDOWN. */
  cooldown?: { action: string; target: string; at: Date };
  /** Executions started in the last hour, all replicas together. */
  executionsLastHour?: number;
  /** Set when this proposal replaces one the re-check found stale: a human looks at it. */
  replaces?: string;
}

export interface Brake {
  check: 'kill_switch' | 'cooldown' | 'hourly_cap' | 'fresh_after_stale';
  reason: string;
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/** The brakes that hold, in the order they are reported. Pure: counts and times arrive as arguments. */
export function holdingBrakes(brakes: Brakes, safety: Pick<SafetySettings, 'actionCooldownMs' | 'maxActionsPerHour'>): Brake[] {
  const out: Brake[] = [];
  if (brakes.paused) {
    const by = brakes.paused.by ?? 'someone';
    out.push({ check: 'kill_switch', reason: `the agent is paused by ${by}${brakes.paused.reason ? ` ("${brakes.paused.reason.slice(0, 200)}")` : ''}: nothing executes until it is resumed` });
  }
  if (brakes.cooldown) {
    out.push({
      check: 'cooldown',
      reason: `${brakes.cooldown.action} on ${brakes.cooldown.target} already executed at ${brakes.cooldown.at.toISOString()}, within SRE_ACTION_COOLDOWN (${minutes(safety.actionCooldownMs)}): a human decides`,
    });
  }
  if (brakes.executionsLastHour !== undefined && brakes.executionsLastHour >= safety.maxActionsPerHour) {
    out.push({ check: 'hourly_cap', reason: `${brakes.executionsLastHour} executions in the last hour reached SRE_MAX_ACTIONS_PER_HOUR (${safety.maxActionsPerHour}): a human decides` });
  }
  if (brakes.replaces) out.push({ check: 'fresh_after_stale', reason: `made again after ${brakes.replaces} went stale: a human decides` });
  return out;
}

/** routeProposal with the brakes applied: any brake that holds turns an automatic route into a human one. */
export function routeWithBrakes(score: number, policy: PolicySettings, safety: Pick<SafetySettings, 'actionCooldownMs' | 'maxActionsPerHour'>, brakes: Brakes, action?: string): Route & { held: Brake[] } {
  const route = routeProposal(score, policy, action);
  if (route.route !== 'auto') return { ...route, held: [] };
  const held = holdingBrakes(brakes, safety);
  if (held.length === 0) return { ...route, held };
  return { route: 'gate', reason: `held for a human: ${held.map((b) => b.reason).join('; ')}`, held };
}
