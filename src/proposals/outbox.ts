import { sql } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import { CHANNEL_INTERESTS, type Channel, type NotificationKind } from '../domain/notifications.js';

/**
 * Writes notification rows in the caller's transaction, one per interested channel. A crash
 * after commit loses nothing: the dispatcher finds the rows. Coalesced kinds keep one pending row.
 */
export async function enqueueNotification(
  tx: Executor,
  channels: readonly Channel[],
  kind: NotificationKind,
  refs: { incidentId?: string | null; proposalId?: string | null },
  payload: Record<string, unknown> = {},
): Promise<void> {
  await enqueueNotifications(tx, channels, [{ kind, ...refs, payload }]);
}

/** Many notifications in one INSERT (ingest writes one per incident key of a batch). */
export async function enqueueNotifications(
  tx: Executor,
  channels: readonly Channel[],
  items: readonly { kind: NotificationKind; incidentId?: string | null; proposalId?: string | null; payload?: Record<string, unknown> }[],
): Promise<void> {
  const rows = items.flatMap((it) =>
    channels
      .filter((c) => CHANNEL_INTERESTS[c].includes(it.kind))
      .map((channel) => ({
        channel,
        kind: it.kind,
        incidentId: it.incidentId ?? null,
        proposalId: it.proposalId ?? null,
        orderingKey: it.incidentId ? `${channel}:${it.incidentId}` : null,
        coalesceKey: it.kind === 'incident.updated' && it.incidentId ? `${channel}:${it.kind}:${it.incidentId}` : null,
        payload: it.payload ?? {},
      })),
  );
  if (rows.length === 0) return;
  await tx
    .insert(schema.outbox)
    .values(rows)
    .onConflictDoNothing({
      target: schema.outbox.coalesceKey,
      where: sql`${schema.outbox.status} = 'pending' and ${schema.outbox.coalesceKey} is not null`,
    });
}
