import { AuditEntry, type AuditKind } from '../domain/audit.js';
import { actorName, type Actor } from '../domain/proposal.js';
import { schema, type Executor } from '../db/client.js';

export interface AuditRecord {
  kind: AuditKind;
  actor: Actor;
  payload: Record<string, unknown>;
  incidentId?: string | null;
  proposalId?: string | null;
  source?: string;
}

function toRow(r: AuditRecord) {
  const checked = AuditEntry.safeParse({ kind: r.kind, payload: r.payload });
  if (!checked.success) {
    // A programming error, never user input: the step's transaction must not commit without its record.
    throw new Error(`audit ${r.kind}: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return {
    source: r.source ?? 'sre-agent',
    kind: r.kind,
    actorType: r.actor.type,
    actor: actorName(r.actor),
    incidentId: r.incidentId ?? null,
    proposalId: r.proposalId ?? null,
    payload: r.payload,
  };
}

/**
 * Appends to the audit trail inside the caller's transaction: the record commits with the step
 * it records, or not at all. Seq, time and hashes are set by the chain trigger.
 */
export async function appendAudit(tx: Executor, ...records: AuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  const rows = records.map(toRow);
  // Large batches in slices keep each statement's parameter count well under the protocol limit.
  for (let i = 0; i < rows.length; i += 2000) {
    await tx.insert(schema.sreActions).values(rows.slice(i, i + 2000));
  }
}
