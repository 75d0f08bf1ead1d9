import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { actorChannel, actorName, type Actor } from '../domain/proposal.js';
import { authorizeResume } from './approvals.js';
import { readSwitch, SWITCH_ID } from './kill-switch.js';
import { PauseInput } from './pause.js';
import { agentStatus, type AgentStatus } from './status.js';
import type { ServiceDeps } from './types.js';

/**
 * Turns the kill switch off; audited with who had paused and why it resumes. Needs a reason, as a
 * pause does, and follows the approver rules (authorizeResume). Resuming an agent that runs is refused.
 */
export async function resume(deps: ServiceDeps, input: { actor: Actor; reason?: unknown }): Promise<AgentStatus> {
  if (typeof input.reason !== 'string') throw new DomainError('invalid', 'reason: resuming needs a reason (text saying why it is safe to execute again)');
  const parsed = PauseInput.safeParse({ reason: input.reason });
  if (!parsed.success) throw new DomainError('invalid', `reason: ${parsed.error.issues[0]?.message.replace('a pause', 'resuming') ?? 'expected text'}`);
  const { reason } = parsed.data;
  await authorizeResume(deps, input.actor);
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const current = await readSwitch(tx, 'update');
    if (!current.paused) throw new DomainError('conflict', 'The agent is not paused.');
    const row = { paused: false, pausedBy: null, pausedReason: null, pausedAt: null, updatedAt: now };
    await tx.insert(schema.agentSwitch).values({ id: SWITCH_ID, ...row }).onConflictDoUpdate({ target: schema.agentSwitch.id, set: row });
    await appendAudit(tx, {
      kind: 'agent.resumed',
      actor: input.actor,
      payload: { channel: actorChannel(input.actor), reason, paused_by: current.pausedBy, paused_reason: current.pausedReason, paused_at: current.pausedAt?.toISOString() ?? null },
    });
  });
  deps.logger.warn({ by: actorName(input.actor), reason }, 'agent resumed');
  deps.poke?.();
  return agentStatus(deps);
}
