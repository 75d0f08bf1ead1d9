import { sql } from 'drizzle-orm';
import type { LicenseTier } from '../domain/audit.js';
import { queryRows, type Executor } from '../db/client.js';
import { purgeAudit, retentionCutoff } from './purge.js';

export interface RetentionResult {
  cutoff: Date;
  auditPurged: number;
  anchorSeq: number;
  eventsPurged: number;
}

/** The tier's retention: audit rows through the database function (leaving an anchor), raw events through theirs, by age. */
export async function runRetention(db: Executor, tier: LicenseTier, now: Date, by: string): Promise<RetentionResult> {
  const cutoff = retentionCutoff(tier, now);
  const audit = await purgeAudit(db, cutoff, by);
  // `events` is append-only too: sre_events_purge is the one way to delete from it, and it
  // records its cutoff in the trail (an `events.purged` row).
  const [events] = await queryRows<{ n: string | number }>(db, sql`select sre_events_purge(${cutoff.toISOString()}::timestamptz, ${by}) as n`);
  return { cutoff, auditPurged: audit.purged, anchorSeq: audit.anchorSeq, eventsPurged: Number(events?.n ?? 0) };
}

/** The next daily run: 03:00 UTC after `now`. */
export function nextRetentionRun(now: Date): Date {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 3));
  if (next <= now) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}
