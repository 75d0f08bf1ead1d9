import { and, eq, gt, gte, lt, sql, type SQL } from 'drizzle-orm';
import { queryRows, schema, type Executor } from '../db/client.js';
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
export async function* exportAuditCsv(ex: Executor, filter: AuditFilter = {}, pageSize = 10_000): AsyncGenerator<string> {
  yield csvLine(AUDIT_CSV_COLUMNS);
  let after = 0;
  for (;;) {
    // Text straight from the database: the payload is never parsed only to be serialised again.
    const page = await queryRows<Record<(typeof AUDIT_CSV_COLUMNS)[number], string | null>>(
      ex,
      sql`select seq::text as seq,
            to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as occurred_at,
            source, kind, actor_type, actor, incident_id, proposal_id, payload::text as payload, prev_hash, hash
          from sre_actions where ${and(gt(t.seq, after), ...auditWhere(filter))} order by sre_actions.seq limit ${pageSize}`,
    );
    if (page.length === 0) return;
    let chunk = '';
    for (const r of page) chunk += csvLine(AUDIT_CSV_COLUMNS.map((c) => r[c]));
    yield chunk;
    after = Number(page[page.length - 1]!.seq);
    if (page.length < pageSize) return;
  }
}
