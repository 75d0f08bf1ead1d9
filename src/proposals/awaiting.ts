import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../db/client.js';
import { reasoningLateness, type Lateness } from '../domain/lateness.js';

export interface AwaitingIncident {
  id: string;
  type: string;
  subject: string;
  openedAt: Date;
  lateness: Lateness;
}

/** Open incidents still waiting for their first proposal (being reasoned about, or queued), oldest first. */
export async function incidentsAwaitingProposal(db: Executor, now: Date, limit = 50): Promise<AwaitingIncident[]> {
  const rows = await queryRows<{ id: string; type: string; subject: string; opened_at: string | Date }>(
    db,
    sql`select i.id, i.type, i.subject, i.opened_at from incidents i
        where i.status = 'open' and not exists (select 1 from proposals p where p.incident_id = i.id)
        order by i.opened_at limit ${limit}`,
  );
  return rows.flatMap((r) => {
    const openedAt = new Date(r.opened_at);
    const lateness = reasoningLateness({ status: 'open', openedAt, hasProposal: false }, now);
    return lateness ? [{ id: r.id, type: r.type, subject: r.subject, openedAt, lateness }] : [];
  });
}
