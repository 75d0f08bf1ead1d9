-- Event receipt is audited per incident per ingest batch: the chained `events.received` row lists
-- the event ids and a SHA-256 digest of the stored rows; the payloads stay in `events`, which
-- becomes append-only (retention deletes only through sre_events_purge). `audit verify`
-- recomputes every digest from `events`, so a changed or removed event is found.

-- The canonical text of one stored event: the digest and verify both use exactly this.
CREATE OR REPLACE FUNCTION sre_event_text(e events) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_array(
    e.id, e.type,
    to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    to_char(e.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    e.source, e.via, e.incident_id, e.data
  )::text
$$;
--> statement-breakpoint
-- Digest of a set of canonical texts: newline-joined in event id order, SHA-256, hex.
CREATE OR REPLACE FUNCTION sre_events_digest_of(texts text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(array_to_string(texts, E'\n'), 'UTF8')), 'hex')
$$;
--> statement-breakpoint
-- How many of these ids are stored, and the digest of those that are.
CREATE OR REPLACE FUNCTION sre_events_digest(ids text[]) RETURNS TABLE (found integer, digest text)
LANGUAGE sql STABLE AS $$
  SELECT count(*)::integer, sre_events_digest_of(coalesce(array_agg(sre_event_text(e) ORDER BY e.id), '{}'))
  FROM events e WHERE e.id = ANY(ids)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sre_events_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('sre.events_purge', true) = txid_current()::text THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events FOR EACH STATEMENT EXECUTE FUNCTION sre_events_refuse();
--> statement-breakpoint
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION sre_events_refuse();
--> statement-breakpoint
-- Retention: the one way to delete events, by age. It leaves a chained `events.purged` row with
-- its cutoff: `audit verify` accepts a receipt row whose events are gone only when they were
-- received before a recorded cutoff.
CREATE OR REPLACE FUNCTION sre_events_purge(cutoff timestamptz, purged_by text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM set_config('sre.events_purge', txid_current()::text, true);
  DELETE FROM events WHERE received_at < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM set_config('sre.events_purge', '', true);
  INSERT INTO sre_actions (source, kind, actor_type, actor, payload)
  VALUES ('sre-agent', 'events.purged', 'system', purged_by, jsonb_build_object(
    'cutoff', to_char(cutoff AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'purged_count', n));
  RETURN n;
END
$$;
--> statement-breakpoint
-- Ingest's per-key locks (the key hashed as close-quiet hashes it), taken in a fixed order so
-- replicas never deadlock, then the keys' open incidents read with a snapshot taken after the
-- locks are held (plpgsql: each statement of a volatile function takes its own): one round trip.
CREATE OR REPLACE FUNCTION sre_ingest_lock_keys(keys text[]) RETURNS TABLE (id text, key text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(s.k, 7400132)) FROM (SELECT unnest(keys) AS k ORDER BY 1) s;
  RETURN QUERY SELECT i.id, i.key FROM incidents i WHERE i.key = ANY(keys) AND i.status = 'open';
END
$$;
