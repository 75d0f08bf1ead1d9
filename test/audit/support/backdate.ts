import { sql } from 'drizzle-orm';
import type { Executor } from '../../../src/db/client.js';

/**
 * Tests only, as the superuser (PostgreSQL's test role, PGlite): moves the trail's rows and the
 * stored events older than `before` back by `days`, then re-computes the receipts' digests and
 * every row's hash, so the trail verifies as if it had been written that long ago. Retention is
 * checked on the database's clock, so this is how a test gets rows old enough to purge.
 */
export async function backdate(db: Executor, before: string, days: number): Promise<void> {
  if (!Number.isInteger(days) || !/^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(before)) throw new Error('backdate: bad arguments');
  const shift = `interval '${days} days'`;
  await db.execute(
    sql.raw(`DO $$
DECLARE
  r sre_actions;
  prev text := NULL;
BEGIN
  PERFORM set_config('session_replication_role', 'replica', true);
  UPDATE events SET received_at = received_at - ${shift} WHERE received_at < '${before}'::timestamptz;
  UPDATE sre_actions SET occurred_at = occurred_at - ${shift} WHERE occurred_at < '${before}'::timestamptz;
  UPDATE sre_actions a SET payload = jsonb_set(jsonb_set(a.payload, '{received_at}',
      to_jsonb(to_char(((a.payload->>'received_at')::timestamptz - ${shift}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
      '{digest}', to_jsonb((SELECT d.digest FROM sre_events_digest(array(SELECT jsonb_array_elements_text(a.payload->'event_ids'))) d)))
   WHERE a.kind = 'events.received' AND (a.payload->>'received_at')::timestamptz < '${before}'::timestamptz;
  FOR r IN SELECT * FROM sre_actions ORDER BY seq LOOP
    IF prev IS NULL THEN prev := r.prev_hash; END IF;
    UPDATE sre_actions SET prev_hash = prev, hash = sre_actions_hash(prev, r) WHERE seq = r.seq;
    prev := sre_actions_hash(prev, r);
  END LOOP;
  PERFORM set_config('session_replication_role', 'origin', true);
END
$$`),
  );
}
