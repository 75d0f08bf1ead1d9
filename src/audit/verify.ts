import type { KeyObject } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { LicenseTier } from '../domain/audit.js';
import { queryRows, type Executor } from '../db/client.js';
import { checkSignature, type Checkpoint } from './checkpoint.js';

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
export async function verifyAudit(ex: Executor, opts: { tier?: LicenseTier } = {}): Promise<VerifyResult> {
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
  if (opts.tier) {
    // A purge run under a shorter tier than the one configured (the function only checks the tier it is given).
    const [c] = await queryRows<{ id: number; tier: string; cutoff: string; at: string }>(
      ex,
      sql`select id::int as id, tier, cutoff::text as cutoff, at::text as at from sre_audit_cutoffs
          where at - cutoff < make_interval(days => sre_retention_days(${opts.tier})) order by id limit 1`,
    );
    if (c) {
      const problem = `retention cutoff ${c.id} (${c.at}) purged up to ${c.cutoff} under the ${c.tier} tier, shorter than the ${opts.tier} tier's retention: rows were purged early`;
      return { ...chain, ...events, ok: false, brokenSeq: null, problem };
    }
  }
  const orphans = await unreceiptedEvents(ex);
  if (orphans.count > 0) {
    const problem = `${orphans.count} stored event(s) have no events.received row (their receipt was removed, or they were written behind the trail's back): ${orphans.ids.join(', ')}${orphans.count > orphans.ids.length ? ', …' : ''}`;
    return { ...chain, ...events, ok: false, brokenSeq: null, problem };
  }
  return { ...chain, ...events };
}

/** Stored events no `events.received` row lists: the first few ids, and how many. */
async function unreceiptedEvents(ex: Executor): Promise<{ count: number; ids: string[] }> {
  const rows = await queryRows<{ id: string; n: number }>(
    ex,
    sql`with listed as (select jsonb_array_elements_text(payload->'event_ids') as id from sre_actions where kind = 'events.received'),
             orphan as (select e.id, e.received_at from events e where not exists (select 1 from listed l where l.id = e.id))
        select id, (select count(*)::int from orphan) as n from orphan order by received_at, id limit 5`,
  );
  return { count: rows[0]?.n ?? 0, ids: rows.map((r) => r.id) };
}

export interface CheckpointVerifyResult {
  ok: boolean;
  /** Checkpoints whose head row is stored with the signed hash. */
  checked: number;
  /** Checkpoints whose head a recorded retention cutoff purged (nothing left to compare). */
  purged: number;
  /** The first checkpoint that fails, named by its line in the file. */
  failed: { line: number; seq: number | null; at: string | null } | null;
  problem: string | null;
}

/**
 * Compares signed checkpoints (checkpoint.ts) with the table: each one's head row must be stored
 * with the hash that was signed (the chain makes it commit to every row before it), unless a
 * recorded retention cutoff purged it. Rows at or before a checkpoint removed, changed, or
 * replaced by forged ones (deleting the tail and appending) fail, naming the checkpoint.
 */
export async function verifyCheckpoints(ex: Executor, publicKey: KeyObject, entries: readonly { line: number; checkpoint: Checkpoint | undefined }[]): Promise<CheckpointVerifyResult> {
  const fail = (line: number, cp: Checkpoint | undefined, problem: string, checked: number, purged: number): CheckpointVerifyResult => ({
    ok: false,
    checked,
    purged,
    failed: { line, seq: cp?.seq ?? null, at: cp?.at ?? null },
    problem,
  });
  const [p] = await queryRows<{ through: string | number | null }>(ex, sql`select max(last_seq) as through from sre_audit_cutoffs`);
  const purgedThrough = Number(p?.through ?? 0);
  let checked = 0;
  let purged = 0;
  for (let i = 0; i < entries.length; i += 5000) {
    const slice = entries.slice(i, i + 5000);
    const seqs = slice.map((e) => e.checkpoint?.seq ?? 0);
    const stored = await queryRows<{ seq: string | number; hash: string | null }>(
      ex,
      sql`select s.value::bigint as seq, a.hash from json_array_elements_text(${JSON.stringify(seqs)}::json) s left join sre_actions a on a.seq = s.value::bigint`,
    );
    const hashOf = new Map(stored.map((r) => [Number(r.seq), r.hash]));
    for (const { line, checkpoint: cp } of slice) {
      const name = cp ? `checkpoint at line ${line} (seq ${cp.seq}, ${cp.at})` : `line ${line}`;
      if (!cp) return fail(line, cp, `${name} is not a checkpoint (expected { seq, head_hash, rows, at, signature })`, checked, purged);
      if (!checkSignature(publicKey, cp)) return fail(line, cp, `${name}: the signature does not match the key (forged, altered, or signed with another key)`, checked, purged);
      if (cp.seq === 0) continue;
      const hash = hashOf.get(cp.seq);
      if (hash === null || hash === undefined) {
        if (cp.seq <= purgedThrough) {
          purged += 1;
          continue;
        }
        return fail(line, cp, `${name}: row ${cp.seq} is gone and no retention cutoff purged it: rows at or before the checkpoint were removed`, checked, purged);
      }
      if (hash !== cp.head_hash) return fail(line, cp, `${name}: row ${cp.seq} no longer has the signed hash: rows at or before the checkpoint were changed or replaced`, checked, purged);
      checked += 1;
    }
  }
  return { ok: true, checked, purged, failed: null, problem: null };
}
