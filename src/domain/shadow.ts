import type { AgentMode } from './policy.js';

/**
 * Shadow mode: why nothing may execute, or undefined. Both modes count: the agent's now (a live
 * proposal is not executed while the agent runs in shadow) and the proposal's own (a shadow
 * proposal's "would approve" never becomes an execution, even after the agent goes live).
 */
export function shadowReason(agentMode: AgentMode, proposalMode: string): string | undefined {
  if (agentMode === 'shadow') return 'shadow mode (SRE_MODE=shadow): the agent never executes';
  if (proposalMode === 'shadow') return 'proposed in shadow mode: it is never executed';
  return undefined;
}
