import type { AgentMode } from '../domain/policy.js';
import { readSwitch } from './kill-switch.js';
import type { ServiceDeps } from './types.js';

/** GET /v1/status, `/sre status`, `sre-agent status` (CONTRACT.md "HTTP"). */
export interface AgentStatus {
  mode: AgentMode;
  paused: boolean;
  paused_by: string | null;
  paused_reason: string | null;
  paused_at: string | null;
}

export async function agentStatus(deps: Pick<ServiceDeps, 'db' | 'policy'>): Promise<AgentStatus> {
  const s = await readSwitch(deps.db);
  return { mode: deps.policy.mode, paused: s.paused, paused_by: s.pausedBy, paused_reason: s.pausedReason, paused_at: s.pausedAt?.toISOString() ?? null };
}
