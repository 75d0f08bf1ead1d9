import type { Executor } from '../db/client.js';
import { enqueue, job, type JobSpec } from '../jobs/index.js';
import type { ServiceDeps } from './types.js';

/** The jobs a proposal's steps write in their own transactions (the handlers are in jobs.ts). */

export const executeKey = (proposalId: string) => `execute:${proposalId}`;

/**
 * The durable execute job an approval writes with the decision: it executes once or says why not.
 * Leased to this replica, which runs it right after the commit (execute.ts `executeApproved`);
 * after a crash a lane takes it over when the lease ends. A job of an earlier approval that was
 * held (and so finished) is due again.
 */
export async function writeExecuteJob(deps: Pick<ServiceDeps, 'jobs'>, tx: Executor, proposalId: string, now: Date): Promise<void> {
  const spec = job('execute', executeKey(proposalId), now, { proposal_id: proposalId });
  if (deps.jobs) await deps.jobs.enqueueLeased(tx, spec);
  else await enqueue(tx, spec, { rearm: true });
}

/** A proposal waiting for people expires at its TTL and escalates after SRE_ESCALATE_AFTER. */
export function waitingJobs(deps: Pick<ServiceDeps, 'lifecycle'>, proposalId: string, expiresAt: Date, now: Date): JobSpec[] {
  return [
    job('expire', `expire:${proposalId}`, expiresAt, { proposal_id: proposalId }),
    job('escalate', `escalate:${proposalId}`, new Date(now.getTime() + deps.lifecycle.escalateAfterMs), { proposal_id: proposalId }),
  ];
}
