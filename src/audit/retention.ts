import type { LicenseTier } from '../domain/audit.js';
import type { Executor } from '../db/client.js';
import { purgeAudit } from './purge.js';

export interface RetentionResult {
  cutoff: Date;
  auditPurged: number;
  anchorSeq: number;
  eventsPurged: number;
}

/**
 * The tier's retention: audit rows and raw events older than the tier's minimum, in one call of
 * the one database function that may delete them; it records its cutoff (sre_audit_cutoffs) and
 * leaves `audit.purged` and `events.purged` rows in the trail. The cutoff is taken on the
 * database's clock, like the rows' `occurred_at`: no caller's clock widens it.
 */
export async function runRetention(db: Executor, tier: LicenseTier, by: string): Promise<RetentionResult> {
  const r = await purgeAudit(db, tier, by);
  return { cutoff: r.cutoff, auditPurged: r.purged, anchorSeq: r.anchorSeq, eventsPurged: r.eventsPurged };
}

/** The next daily run: 03:00 UTC after `now`. */
export function nextRetentionRun(now: Date): Date {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 3));
  if (next <= now) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}
