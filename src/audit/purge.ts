import { sql } from 'drizzle-orm';
import type { LicenseTier } from '../domain/audit.js';
import { queryRows, type Executor } from '../db/client.js';

const DAY = 86_400_000;

/** Audit retention per licence tier (CONTRACT.md). */
export const RETENTION_DAYS: Record<LicenseTier, number> = {
  trial: 30,
  team: 30,
  business: 365,
  enterprise: 7 * 365,
};

export function retentionCutoff(tier: LicenseTier, now: Date): Date {
  return new Date(now.getTime() - RETENTION_DAYS[tier] * DAY);
}

/** Purges audit rows older than the cutoff through the one database function that may. */
export async function purgeAudit(ex: Executor, cutoff: Date, purgedBy: string): Promise<{ purged: number; anchorSeq: number }> {
  const [r] = await queryRows<{ purged: string | number; anchor_seq: string | number }>(
    ex,
    sql`select * from sre_audit_purge(${cutoff.toISOString()}::timestamptz, ${purgedBy})`,
  );
  return { purged: Number(r?.purged ?? 0), anchorSeq: Number(r?.anchor_seq ?? 0) };
}
