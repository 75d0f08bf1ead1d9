-- Appending many rows in one transaction re-read the chain's tail for every row. While a
-- transaction holds the chain lock nobody else can append, so the tail it last wrote is still
-- the tail: keep it in a transaction-local setting (reverted with the transaction or savepoint).
CREATE OR REPLACE FUNCTION sre_actions_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash text;
  tail text;
BEGIN
  tail := current_setting('sre.chain_tail', true);
  IF tail IS NOT NULL AND tail <> '' THEN
    -- Set only after this transaction took the chain lock below, so the lock is already held.
    last_seq := split_part(tail, ':', 1)::bigint;
    last_hash := split_part(tail, ':', 2);
  ELSE
    PERFORM pg_advisory_xact_lock(7400132001);
    SELECT seq, hash INTO last_seq, last_hash FROM sre_actions ORDER BY seq DESC LIMIT 1;
  END IF;
  NEW.seq := coalesce(last_seq, 0) + 1;
  NEW.occurred_at := clock_timestamp();
  NEW.prev_hash := coalesce(last_hash, '');
  -- sre_actions_hash(prev, row) inlined (the same expression; verify uses the function).
  NEW.hash := encode(sha256(convert_to(NEW.prev_hash || '|' || jsonb_build_array(
    NEW.seq,
    to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    NEW.source, NEW.kind, NEW.actor_type, NEW.actor,
    coalesce(NEW.incident_id, ''), coalesce(NEW.proposal_id, ''),
    NEW.payload
  )::text, 'UTF8')), 'hex');
  PERFORM set_config('sre.chain_tail', NEW.seq::text || ':' || NEW.hash, true);
  RETURN NEW;
END
$$;
