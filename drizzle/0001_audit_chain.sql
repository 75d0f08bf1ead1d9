-- The audit trail is append-only and hash-chained in the database itself, so no writer, ours
-- or anyone's, can change history unnoticed. Kept within PostgreSQL 15 (and PGlite).

CREATE OR REPLACE FUNCTION sre_actions_canonical(r sre_actions) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_array(
    r.seq,
    to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    r.source, r.kind, r.actor_type, r.actor,
    coalesce(r.incident_id, ''), coalesce(r.proposal_id, ''),
    r.payload
  )::text
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sre_actions_hash(prev text, r sre_actions) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(prev || '|' || sre_actions_canonical(r), 'UTF8')), 'hex')
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sre_actions_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  -- One appender at a time, held to commit: the chain stays linear under concurrent writers.
  PERFORM pg_advisory_xact_lock(7400132001);
  SELECT seq, hash INTO last_seq, last_hash FROM sre_actions ORDER BY seq DESC LIMIT 1;
  NEW.seq := coalesce(last_seq, 0) + 1;
  NEW.occurred_at := clock_timestamp();
  NEW.prev_hash := coalesce(last_hash, '');
  NEW.hash := sre_actions_hash(NEW.prev_hash, NEW);
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER sre_actions_chain BEFORE INSERT ON sre_actions FOR EACH ROW EXECUTE FUNCTION sre_actions_chain();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sre_actions_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('sre.audit_purge', true) = txid_current()::text THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'sre_actions is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER sre_actions_no_update BEFORE UPDATE OR DELETE ON sre_actions FOR EACH ROW EXECUTE FUNCTION sre_actions_refuse();
--> statement-breakpoint
CREATE TRIGGER sre_actions_no_truncate BEFORE TRUNCATE ON sre_actions FOR EACH STATEMENT EXECUTE FUNCTION sre_actions_refuse();
--> statement-breakpoint
-- Retention: the only way rows leave. Deletes rows older than the cutoff and appends an anchor row
-- (itself chained) that records the last purged hash, so the remaining chain still verifies.
CREATE OR REPLACE FUNCTION sre_audit_purge(cutoff timestamptz, purged_by text)
RETURNS TABLE (purged bigint, anchor_seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
  first_seq bigint;
  last_seq bigint;
  last_hash text;
  n bigint;
  anchor bigint;
  top bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(7400132001);
  -- The newest row always stays, so the anchor appended below continues the chain.
  SELECT max(a.seq) INTO top FROM sre_actions a;
  SELECT min(a.seq), max(a.seq), count(*) INTO first_seq, last_seq, n
    FROM sre_actions a WHERE a.occurred_at < cutoff AND a.seq < top;
  IF n > 0 THEN
    SELECT a.hash INTO last_hash FROM sre_actions a WHERE a.seq = last_seq;
    PERFORM set_config('sre.audit_purge', txid_current()::text, true);
    DELETE FROM sre_actions a WHERE a.seq <= last_seq;
    PERFORM set_config('sre.audit_purge', '', true);
  END IF;
  INSERT INTO sre_actions (source, kind, actor_type, actor, payload)
  VALUES ('sre-agent', 'audit.purged', 'system', purged_by, jsonb_build_object(
    'cutoff', to_char(cutoff AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'purged_count', n,
    'first_purged_seq', first_seq,
    'last_purged_seq', last_seq,
    'last_purged_hash', last_hash))
  RETURNING sre_actions.seq INTO anchor;
  RETURN QUERY SELECT n, anchor;
END
$$;
--> statement-breakpoint
-- Walks the chain in order; returns the first broken row, or ok with the count checked.
CREATE OR REPLACE FUNCTION sre_audit_verify()
RETURNS TABLE (ok boolean, checked bigint, broken_seq bigint, problem text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  r sre_actions;
  expected_prev text := NULL;
  expected_seq bigint := NULL;
  n bigint := 0;
  anchor jsonb;
BEGIN
  FOR r IN SELECT * FROM sre_actions ORDER BY seq LOOP
    IF expected_prev IS NULL THEN
      IF r.prev_hash <> '' THEN
        SELECT a.payload INTO anchor FROM sre_actions a
         WHERE a.kind = 'audit.purged' AND a.payload->>'last_purged_hash' = r.prev_hash
           AND (a.payload->>'last_purged_seq')::bigint = r.seq - 1
         LIMIT 1;
        IF anchor IS NULL THEN
          RETURN QUERY SELECT false, n, r.seq, 'first row links to a hash no purge anchor records';
          RETURN;
        END IF;
      END IF;
    ELSE
      IF r.seq <> expected_seq THEN
        RETURN QUERY SELECT false, n, r.seq, format('gap: expected seq %s', expected_seq);
        RETURN;
      END IF;
      IF r.prev_hash <> expected_prev THEN
        RETURN QUERY SELECT false, n, r.seq, 'prev_hash does not match the previous row''s hash';
        RETURN;
      END IF;
    END IF;
    IF r.hash <> sre_actions_hash(r.prev_hash, r) THEN
      RETURN QUERY SELECT false, n, r.seq, 'hash does not match the row''s content';
      RETURN;
    END IF;
    n := n + 1;
    expected_prev := r.hash;
    expected_seq := r.seq + 1;
  END LOOP;
  RETURN QUERY SELECT true, n, NULL::bigint, NULL::text;
END
$$;
--> statement-breakpoint
-- Grants for an application role, where the migrating role may create one. Without the right to
-- do so (managed databases), the triggers above still refuse changes.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sre_agent_app') THEN
    CREATE ROLE sre_agent_app NOLOGIN;
  END IF;
  GRANT SELECT, INSERT ON sre_actions TO sre_agent_app;
  REVOKE UPDATE, DELETE, TRUNCATE ON sre_actions FROM sre_agent_app, PUBLIC;
EXCEPTION WHEN insufficient_privilege OR unique_violation OR duplicate_object THEN
  RAISE NOTICE 'sre_agent_app role not set up: %', SQLERRM;
END
$$;
