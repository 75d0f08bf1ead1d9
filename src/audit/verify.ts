import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../db/client.js';

export interface VerifyResult {
  ok: boolean;
  checked: number;
  brokenSeq: number | null;
  problem: string | null;
}

/** Walks the whole chain in the database (sre_audit_verify) and names the first broken row. */
export async function verifyAudit(ex: Executor): Promise<VerifyResult> {
  const [r] = await queryRows<{ ok: boolean; checked: string | number; broken_seq: string | number | null; problem: string | null }>(
    ex,
    sql`select * from sre_audit_verify()`,
  );
  if (!r) throw new Error('sre_audit_verify returned nothing');
  return {
    ok: r.ok,
    checked: Number(r.checked),
    brokenSeq: r.broken_seq === null ? null : Number(r.broken_seq),
    problem: r.problem,
  };
}
