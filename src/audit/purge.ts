import { sql } from 'drizzle-orm';
import type { LicenseTier } from '../domain/audit.js';
import { queryRows, type Executor } from '../db/client.js';

const DAY = 86_400_000;

/** Audit retention per licence tier (CONTRACT.md); the database holds the same table (sre_retention_days, drizzle/0010). */
export const RETENTION_DAYS: Record<LicenseTier, number> = {
  trial: 30,
  team: 30,
  business: 365,
  enterprise: 7 * 365,
};

export function retentionCutoff(tier: LicenseTier, now: Date): Date {
  return new Date(now.getTime() - RETENTION_DAYS[tier] * DAY);
}

export interface PurgeResult {
  /** The cutoff the database applied (and recorded in sre_audit_cutoffs). */
  cutoff: Date;
  purged: number;
  anchorSeq: number;
  eventsPurged: number;
}

/**
 * Purges audit rows and stored events older than the cutoff through the one database function
 * that may (sre_retention_purge, SECURITY DEFINER). Unset cutoff: the tier's minimum on the
 * database's clock. A cutoff younger than the tier's minimum is refused by the database.
 */
export async function purgeAudit(ex: Executor, tier: LicenseTier, purgedBy: string, cutoff?: Date): Promise<PurgeResult> {
  const [r] = await queryRows<{ purge_cutoff: string | Date; audit_purged: string | number; anchor_seq: string | number; events_purged: string | number }>(
    ex,
    sql`select * from sre_retention_purge(${tier}, ${purgedBy}, ${cutoff ? cutoff.toISOString() : null}::timestamptz)`,
  );
  if (!r) throw new Error('sre_retention_purge returned nothing');
  return { cutoff: new Date(r.purge_cutoff), purged: Number(r.audit_purged), anchorSeq: Number(r.anchor_seq), eventsPurged: Number(r.events_purged) };
}
