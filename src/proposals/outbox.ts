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
  const wanted = channels.filter((c) => CHANNEL_INTERESTS[c].includes(kind));
  if (wanted.length === 0) return;
  const coalesce = kind === 'incident.updated';
  await tx
    .insert(schema.outbox)
    .values(
      wanted.map((channel) => ({
        channel,
        kind,
        incidentId: refs.incidentId ?? null,
        proposalId: refs.proposalId ?? null,
        orderingKey: refs.incidentId ? `${channel}:${refs.incidentId}` : null,
        coalesceKey: coalesce && refs.incidentId ? `${channel}:${kind}:${refs.incidentId}` : null,
        payload,
      })),
    )
    .onConflictDoNothing({
      target: schema.outbox.coalesceKey,
      where: sql`${schema.outbox.status} = 'pending' and ${schema.outbox.coalesceKey} is not null`,
    });
}
