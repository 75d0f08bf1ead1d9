import { eq } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema, type Tx } from '../db/client.js';
import { storedRequest } from '../domain/actions.js';
import type { Actor } from '../domain/proposal.js';
import { severityOf, verifyWindowFor, type Operation } from '../domain/verification.js';
import { enqueue, job } from '../jobs/index.js';
import type { ProposalRow } from './transition.js';
import type { ServiceDeps } from './types.js';

const { proposals, incidents } = schema;
export const VERIFIER: Actor = { type: 'system', name: 'verifier' };

/**
 * Called in the transaction that records a successful execution or revert: the action is watched
 * for its window by a durable `verify` job, judged from the incident's later events and a read of
 * the target (verify.ts).
 */
export async function startVerification(tx: Tx, deps: ServiceDeps, p: ProposalRow, exeId: string, operation: Operation, now: Date): Promise<void> {
  const windowMs = verifyWindowFor(storedRequest(p), deps.safety.verifyWindowMs);
  if (windowMs === undefined) return;
  const [inc] = await tx.select({ type: incidents.type, latest: incidents.latest }).from(incidents).where(eq(incidents.id, p.incidentId));
  const baseline = inc ? severityOf(inc.type, inc.latest) : undefined;
  const checkAt = new Date(now.getTime() + windowMs);
  // A revert keeps the status "reverted" while its own check runs; the reason says it is being watched.
  const set =
    operation === 'execute'
      ? { verificationStatus: 'pending', verificationReason: `watching for ${Math.round(windowMs / 1000)} s`, verificationCheckedAt: null, updatedAt: now }
      : { verificationStatus: 'reverted', verificationReason: `reverted at ${now.toISOString()}; checking the revert holds`, verificationCheckedAt: null, updatedAt: now };
  await tx.update(proposals).set(set).where(eq(proposals.id, p.id));
  await enqueue(tx, job('verify', `verify:${operation}:${p.id}`, checkAt, { proposal_id: p.id, execution_id: exeId, operation, since: now.toISOString(), window_ms: windowMs, baseline: baseline ?? null }));
  await appendAudit(tx, { kind: 'verification.started', actor: VERIFIER, incidentId: p.incidentId, proposalId: p.id, payload: { execution_id: exeId, operation, check_at: checkAt.toISOString(), window_ms: windowMs, baseline_severity: baseline ?? null } });
}
