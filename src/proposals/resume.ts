import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { actorChannel, actorName, type Actor } from '../domain/proposal.js';
import { readSwitch, SWITCH_ID } from './kill-switch.js';
import { agentStatus, type AgentStatus } from './status.js';
import type { ServiceDeps } from './types.js';

/** Turns the kill switch off; audited with who had paused. Resuming an agent that runs is refused. */
export async function resume(deps: Pick<ServiceDeps, 'db' | 'clock' | 'logger' | 'policy' | 'poke'>, input: { actor: Actor }): Promise<AgentStatus> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const current = await readSwitch(tx, 'update');
    if (!current.paused) throw new DomainError('conflict', 'The agent is not paused.');
    const row = { paused: false, pausedBy: null, pausedReason: null, pausedAt: null, updatedAt: now };
    await tx.insert(schema.agentSwitch).values({ id: SWITCH_ID, ...row }).onConflictDoUpdate({ target: schema.agentSwitch.id, set: row });
    await appendAudit(tx, {
      kind: 'agent.resumed',
      actor: input.actor,
      payload: { channel: actorChannel(input.actor), paused_by: current.pausedBy, paused_reason: current.pausedReason, paused_at: current.pausedAt?.toISOString() ?? null },
    });
  });
  deps.logger.warn({ by: actorName(input.actor) }, 'agent resumed');
  deps.poke?.();
  return agentStatus(deps);
}
