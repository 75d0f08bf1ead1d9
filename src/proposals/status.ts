import type { AgentStatus } from '../domain/policy.js';
import { readSwitch } from './kill-switch.js';
import type { ServiceDeps } from './types.js';

export type { AgentStatus };

export async function agentStatus(deps: Pick<ServiceDeps, 'db' | 'policy'>): Promise<AgentStatus> {
  const s = await readSwitch(deps.db);
  return { mode: deps.policy.mode, paused: s.paused, paused_by: s.pausedBy, paused_reason: s.pausedReason, paused_at: s.pausedAt?.toISOString() ?? null };
}
