import { sql } from 'drizzle-orm';
import { AuditEntry, type AuditKind } from '../domain/audit.js';
import { actorName, type Actor } from '../domain/proposal.js';
import { queryRows, type Executor } from '../db/client.js';
import { isTracing } from '../telemetry/index.js';

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
    actor_type: r.actor.type,
    actor: actorName(r.actor),
    incident_id: r.incidentId ?? null,
    proposal_id: r.proposalId ?? null,
    payload: r.payload,
  };
}

/** Rows per statement: large batches in slices keep each statement's parameter text bounded. */
const ROWS_PER_STATEMENT = 2000;

/**
 * Appends to the audit trail inside the caller's transaction: the record commits with the step
 * it records, or not at all. Seq, time and hashes are set by the chain trigger, in the order given.
 */
export async function appendAudit(tx: Executor, ...records: AuditRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += ROWS_PER_STATEMENT) {
    // One json parameter: cheaper to send and parse than seven bind parameters a row;
    // WITH ORDINALITY keeps the chain in the order given.
    const json = JSON.stringify(records.slice(i, i + ROWS_PER_STATEMENT).map(toRow));
    // While tracing is on, an incident's rows carry its trace id (incidents.trace_parent) in the
    // payload, which the chain hashes like the rest of the row: one look-up by key in the same
    // statement. Off, the statement stays as cheap as it was.
    const payload = isTracing()
      ? sql`case when i.trace_parent is null then x.payload::jsonb else x.payload::jsonb || jsonb_build_object('trace_id', substr(i.trace_parent, 4, 32)) end`
      : sql`x.payload::jsonb`;
    const join = isTracing() ? sql`left join incidents i on i.id = x.incident_id` : sql``;
    // Two texts (tracing on and off), each prepared once a connection by the client (db/client.ts).
    await queryRows(tx, sql`
      insert into sre_actions (source, kind, actor_type, actor, incident_id, proposal_id, payload)
      select x.source, x.kind, x.actor_type, x.actor, x.incident_id, x.proposal_id, ${payload}
      from rows from (json_to_recordset(${json}::json)
             as (source text, kind text, actor_type text, actor text, incident_id text, proposal_id text, payload json))
           with ordinality as x(source, kind, actor_type, actor, incident_id, proposal_id, payload, ord)
      ${join}
      order by x.ord`);
  }
}
