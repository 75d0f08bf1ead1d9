import { z } from 'zod';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { actorChannel, actorName, type Actor } from '../domain/proposal.js';
import { readSwitch, SWITCH_ID } from './kill-switch.js';
import { agentStatus, type AgentStatus } from './status.js';
import type { ServiceDeps } from './types.js';

export const PauseInput = z.object({ reason: z.string().trim().min(1, 'a pause needs a reason').max(500) });
export type PauseInput = z.infer<typeof PauseInput>;

/**
 * Turns the kill switch on: from the commit on, no replica executes anything (auto-approval off,
 * approvals answered "paused"); proposals are still made. Audited; a second pause is refused.
 */
export async function pause(deps: Pick<ServiceDeps, 'db' | 'clock' | 'logger' | 'policy'>, raw: { reason?: unknown; actor: Actor }): Promise<AgentStatus> {
  if (typeof raw.reason !== 'string') throw new DomainError('invalid', 'reason: a pause needs a reason (text saying why)');
  const parsed = PauseInput.safeParse({ reason: raw.reason });
  if (!parsed.success) throw new DomainError('invalid', `reason: ${parsed.error.issues[0]?.message ?? 'expected text'}`);
  const { reason } = parsed.data;
  const now = deps.clock.now();
  const by = actorName(raw.actor);
  await deps.db.transaction(async (tx) => {
    const current = await readSwitch(tx, 'update');
    if (current.paused) throw new DomainError('conflict', `The agent is already paused by ${current.pausedBy ?? 'someone'} since ${current.pausedAt?.toISOString() ?? '?'}: ${current.pausedReason ?? ''}`);
    const row = { paused: true, pausedBy: by, pausedReason: reason, pausedAt: now, updatedAt: now };
    await tx.insert(schema.agentSwitch).values({ id: SWITCH_ID, ...row }).onConflictDoUpdate({ target: schema.agentSwitch.id, set: row });
    await appendAudit(tx, { kind: 'agent.paused', actor: raw.actor, payload: { reason, channel: actorChannel(raw.actor) } });
  });
  deps.logger.warn({ by, reason }, 'agent paused: nothing executes until it is resumed');
  return agentStatus(deps);
}
