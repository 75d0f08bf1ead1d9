import { and, asc, eq, gt, gte, lt, type SQL } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import { csvLine } from './csv.js';

export interface AuditFilter {
  source?: string;
  since?: Date;
  until?: Date;
  kind?: string;
  incidentId?: string;
  proposalId?: string;
  actor?: string;
}

export const AUDIT_CSV_COLUMNS = [
  'seq',
  'occurred_at',
  'source',
  'kind',
  'actor_type',
  'actor',
  'incident_id',
  'proposal_id',
  'payload',
  'prev_hash',
  'hash',
] as const;

const t = schema.sreActions;

export function auditWhere(f: AuditFilter): SQL[] {
  const w: SQL[] = [];
  if (f.source) w.push(eq(t.source, f.source));
  if (f.since) w.push(gte(t.occurredAt, f.since));
  if (f.until) w.push(lt(t.occurredAt, f.until));
  if (f.kind) w.push(eq(t.kind, f.kind));
  if (f.incidentId) w.push(eq(t.incidentId, f.incidentId));
  if (f.proposalId) w.push(eq(t.proposalId, f.proposalId));
  if (f.actor) w.push(eq(t.actor, f.actor));
  return w;
}

/**
 * Streams the audit trail as CSV, in seq order, a page at a time (keyset pagination), so memory
 * stays flat however many rows match.
 */
export async function* exportAuditCsv(ex: Executor, filter: AuditFilter = {}, pageSize = 5000): AsyncGenerator<string> {
  yield csvLine(AUDIT_CSV_COLUMNS);
  let after = 0;
  for (;;) {
    const page = await ex
      .select()
      .from(t)
      .where(and(gt(t.seq, after), ...auditWhere(filter)))
      .orderBy(asc(t.seq))
      .limit(pageSize);
    if (page.length === 0) return;
    let chunk = '';
    for (const r of page) {
      chunk += csvLine([r.seq, r.occurredAt, r.source, r.kind, r.actorType, r.actor, r.incidentId, r.proposalId, r.payload, r.prevHash, r.hash]);
    }
    yield chunk;
    after = page[page.length - 1]!.seq;
    if (page.length < pageSize) return;
  }
}
