import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../db/client.js';

export interface VerifyResult {
  ok: boolean;
  /** Chain rows verified (all of them when ok). */
  checked: number;
  brokenSeq: number | null;
  problem: string | null;
  /** `events.received` rows whose events were recomputed from `events` and matched their digest. */
  eventBatchesChecked: number;
  /** `events.received` rows whose events a recorded retention purge deleted (nothing left to compare). */
  eventBatchesPurged: number;
}

/**
 * Walks the whole chain in the database (sre_audit_verify) and names the first broken row; then
 * recomputes the digest of every `events.received` row from the stored events, so an event
 * changed or deleted behind the trail's back is named too. Events the retention purge removed
 * (received before the cutoff an `events.purged` row records) are counted, not failed.
 */
export async function verifyAudit(ex: Executor): Promise<VerifyResult> {
  const [r] = await queryRows<{ ok: boolean; checked: string | number; broken_seq: string | number | null; problem: string | null }>(
    ex,
    sql`select * from sre_audit_verify()`,
  );
  if (!r) throw new Error('sre_audit_verify returned nothing');
  const chain = {
    ok: r.ok,
    checked: Number(r.checked),
    brokenSeq: r.broken_seq === null ? null : Number(r.broken_seq),
    problem: r.problem,
  };
  const [e] = await queryRows<{ checked: number; purged: number; broken_seq: string | number | null; found: number | null; expected: number | null }>(
    ex,
    sql`
      with purges as (
        -- The cutoff table, written only by the retention function: never a payload anyone could append.
        select max(cutoff) as cutoff from sre_audit_cutoffs
      ),
      batches as (
        select a.seq, (a.payload->>'count')::int as expected, a.payload->>'digest' as digest, d.found, d.digest as actual,
               -- Gone for a reason the trail records: received before a retention cutoff.
               d.found = 0 and (a.payload->>'received_at')::timestamptz < (select cutoff from purges) as purged
        from sre_actions a
        cross join lateral sre_events_digest(array(select jsonb_array_elements_text(a.payload->'event_ids'))) d
        where a.kind = 'events.received'
      ),
      first_broken as (
        select seq, found, expected from batches
        where not coalesce(purged, false) and (found <> expected or actual <> digest)
        order by seq limit 1
      )
      select (select count(*)::int from batches where found > 0) as checked,
             (select count(*)::int from batches where purged) as purged,
             fb.seq as broken_seq, fb.found, fb.expected
      from (select 1) one left join first_broken fb on true`,
  );
  const events = { eventBatchesChecked: Number(e?.checked ?? 0), eventBatchesPurged: Number(e?.purged ?? 0) };
  if (!chain.ok) return { ...chain, ...events };
  if (e?.broken_seq !== null && e?.broken_seq !== undefined) {
    const problem =
      e.found !== e.expected
        ? `events.received lists ${e.expected} event(s) but ${e.found} are stored: events were deleted outside retention`
        : 'events.received digest does not match the stored events: an event was changed after it was recorded';
    return { ...chain, ...events, ok: false, brokenSeq: Number(e.broken_seq), problem };
  }
  return { ...chain, ...events };
}
