import { and, eq, gt, gte, lt, sql, type SQL } from 'drizzle-orm';
import type postgres from 'postgres';
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
export async function* exportAuditCsv(
  ex: Executor,
  filter: AuditFilter = {},
  opts: { pageSize?: number; /** Opens a one-connection PostgreSQL client: the export then streams COPY … TO STDOUT. */ copyClient?: (() => postgres.Sql) | undefined } = {},
): AsyncGenerator<string | Buffer> {
  // Stored text never holds NUL: a filter value with one matches nothing (the header alone), on both paths alike.
  if ([filter.source, filter.kind, filter.incidentId, filter.proposalId, filter.actor].some((v) => v?.includes('\0'))) {
    yield csvLine(AUDIT_CSV_COLUMNS);
    return;
  }
  if (opts.copyClient) {
    yield* copyCsv(opts.copyClient, filter);
    return;
  }
  const pageSize = opts.pageSize ?? 10_000;
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

/** The formula guard of csvCell, in SQL: a cell a spreadsheet would evaluate gets a leading '. */
const guard = (col: string) => `case when left(${col}, 1) in ('=', '+', '-', '@', chr(9), chr(13)) then '''' || ${col} else ${col} end`;

/**
 * The same CSV as the paged path, produced by PostgreSQL itself (COPY … CSV): the fastest way
 * out of the database, with the guard and the filters applied in the query.
 */
async function* copyCsv(openCopy: () => postgres.Sql, f: AuditFilter): AsyncGenerator<Buffer> {
  // COPY takes no bind parameters, so the values travel as bind parameters of set_config on the
  // export's own connection and the query reads them back with current_setting: the statement's
  // text is code only (which filters are present), never a value.
  const values: [string, string][] = [];
  const where: string[] = [];
  const add = (sqlText: (ref: string) => string, value: string) => {
    const name = `sre_export.p${values.length}`;
    values.push([name, value]);
    where.push(sqlText(`current_setting('${name}')`));
  };
  if (f.source) add((v) => `source = ${v}`, f.source);
  if (f.since) add((v) => `occurred_at >= ${v}::timestamptz`, f.since.toISOString());
  if (f.until) add((v) => `occurred_at < ${v}::timestamptz`, f.until.toISOString());
  if (f.kind) add((v) => `kind = ${v}`, f.kind);
  if (f.incidentId) add((v) => `incident_id = ${v}`, f.incidentId);
  if (f.proposalId) add((v) => `proposal_id = ${v}`, f.proposalId);
  if (f.actor) add((v) => `actor = ${v}`, f.actor);
  const query = `copy (select seq,
      to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as occurred_at,
      ${guard('source')} as source, ${guard('kind')} as kind, ${guard('actor_type')} as actor_type, ${guard('actor')} as actor,
      ${guard('incident_id')} as incident_id, ${guard('proposal_id')} as proposal_id, payload::text as payload, prev_hash, hash
    from sre_actions ${where.length ? `where ${where.join(' and ')}` : ''} order by seq) to stdout (format csv, header)`;
  // A connection of its own, closed afterwards: postgres.js leaves a pooled connection that ran
  // COPY … TO STDOUT unable to begin a transaction (seen with 3.4), so none goes back to a pool.
  const client = openCopy();
  try {
    for (const [name, value] of values) await client.unsafe('select set_config($1, $2, false)', [name, value]);
    const stream = await client.unsafe(query).readable();
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    await client.end({ timeout: 5 });
  }
}
