import { and, eq, lt, sql } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { enqueue, enqueueNotification, job } from '../jobs/index.js';
import { type ServiceDeps } from '../proposals/index.js';

const { incidents } = schema;

/**
 * Closes incidents that received no event for the quiet period; a later event on the same key
 * opens a new one. Each close takes the key's ingest lock, so no event lands in a closing incident.
 */
export async function closeQuietIncidents(deps: Pick<ServiceDeps, 'db' | 'channels' | 'clock' | 'logger'>, quietMs: number): Promise<string[]> {
  const cutoff = new Date(deps.clock.now().getTime() - quietMs);
  const candidates = await deps.db
    .select({ id: incidents.id, key: incidents.key })
    .from(incidents)
    .where(
      and(
        eq(incidents.status, 'open'),
        lt(incidents.openedAt, cutoff),
        sql`not exists (select 1 from events e where e.incident_id = ${incidents.id} and e.received_at >= ${cutoff.toISOString()}::timestamptz)`,
      ),
    )
    .limit(100);
  const closed: string[] = [];
  for (const c of candidates) {
    const done = await deps.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${c.key}, 7400132))`);
      const [row] = await tx
        .update(incidents)
        .set({ status: 'closed', closedAt: deps.clock.now() })
        .where(
          and(
            eq(incidents.id, c.id),
            eq(incidents.status, 'open'),
            sql`not exists (select 1 from events e where e.incident_id = ${incidents.id} and e.received_at >= ${cutoff.toISOString()}::timestamptz)`,
          ),
        )
        .returning();
      if (!row) return false;
      await appendAudit(tx, {
        kind: 'incident.closed',
        actor: { type: 'system', name: 'scheduler' },
        incidentId: row.id,
        payload: { reason: `no new event for ${Math.round(quietMs / 60_000)} min`, event_count: row.eventCount, first_seen: row.firstSeen.toISOString(), last_seen: row.lastSeen.toISOString() },
      });
      await enqueueNotification(tx, deps, 'incident.closed', { incidentId: row.id });
      // Pages the incident's page_oncall actions raised end with it (their own dedup keys).
      const pages = await tx
        .select({ id: schema.proposals.id })
        .from(schema.proposals)
        .where(and(eq(schema.proposals.incidentId, row.id), eq(schema.proposals.action, 'page_oncall'), eq(schema.proposals.status, 'succeeded')));
      await enqueue(tx, pages.map((pg) => job('resolve_page', `resolve_page:${pg.id}`, deps.clock.now(), { proposal_id: pg.id })));
      return true;
    });
    if (done) {
      closed.push(c.id);
      deps.logger.info({ incident_id: c.id }, 'incident closed after its quiet period');
    }
  }
  return closed;
}
