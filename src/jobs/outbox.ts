import { sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import { queryRows, type Executor } from '../db/client.js';
import { CHANNEL_INTERESTS, type Channel, type NotificationKind } from '../domain/notifications.js';
import { currentTraceparent } from '../telemetry/index.js';

/**
 * Writes notification rows in the caller's transaction, one per interested channel. A crash
 * after commit loses nothing: the dispatcher finds the rows. Coalesced kinds keep one pending row.
 */
/** Who is told (the configured channels) and when the rows are due (the agent's clock: the dispatcher compares with it). */
export interface NotifyDeps {
  channels: readonly Channel[];
  clock: Pick<Clock, 'now'>;
}

export async function enqueueNotification(
  tx: Executor,
  deps: NotifyDeps,
  kind: NotificationKind,
  refs: { incidentId?: string | null; proposalId?: string | null },
  payload: Record<string, unknown> = {},
): Promise<void> {
  await enqueueNotifications(tx, deps, [{ kind, ...refs, payload }]);
}

type NotificationItem = { kind: NotificationKind; incidentId?: string | null; proposalId?: string | null; payload?: Record<string, unknown> };

/**
 * Many notifications in one INSERT (ingest writes one per incident key of a batch), as one json
 * parameter; a coalesced kind keeps the one pending row it already has.
 */
export async function enqueueNotifications(tx: Executor, deps: NotifyDeps, items: readonly NotificationItem[]): Promise<void> {
  const rows = items.flatMap((it) =>
    deps.channels
      .filter((c) => CHANNEL_INTERESTS[c].includes(it.kind))
      .map((channel) => ({
        channel,
        kind: it.kind,
        incident_id: it.incidentId ?? null,
        proposal_id: it.proposalId ?? null,
        ordering_key: it.incidentId ? `${channel}:${it.incidentId}` : null,
        coalesce_key: it.kind === 'incident.updated' && it.incidentId ? `${channel}:${it.kind}:${it.incidentId}` : null,
        payload: it.payload ?? {},
      })),
  );
  if (rows.length === 0) return;
  // The delivery continues the trace of the step that wrote the row (null while tracing is off).
  const traceParent = currentTraceparent() ?? null;
  // One fixed text (ingest sends it with its audit rows in one round trip).
  await queryRows(tx, sql`
    insert into outbox (channel, kind, incident_id, proposal_id, ordering_key, coalesce_key, payload, next_attempt_at, trace_parent)
    select x.channel, x.kind, x.incident_id, x.proposal_id, x.ordering_key, x.coalesce_key, x.payload::jsonb, ${deps.clock.now().toISOString()}::timestamptz, ${traceParent}::text
    from rows from (json_to_recordset(${JSON.stringify(rows)}::json)
           as (channel text, kind text, incident_id text, proposal_id text, ordering_key text, coalesce_key text, payload json))
         with ordinality as x(channel, kind, incident_id, proposal_id, ordering_key, coalesce_key, payload, ord)
    order by x.ord
    on conflict (coalesce_key) where status = 'pending' and coalesce_key is not null do nothing`);
}
