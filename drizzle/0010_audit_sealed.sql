-- The trail is sealed against every session, whatever it sets. Before this, a session could
-- `set_config('sre.audit_purge', txid_current()::text, true)` (or `sre.events_purge`) and DELETE,
-- and the chain trigger took the tail from a caller-set `sre.chain_tail`. Now:
--   * rows leave only through sre_retention_purge (SECURITY DEFINER), which refuses a cutoff
--     younger than the tier's minimum retention and first records the cutoff in
--     sre_audit_cutoffs; the delete triggers let a row go only when a cutoff recorded by this
--     very transaction covers it. The cutoff table is append-only and its insert trigger checks
--     the retention minimum itself, so no setting, and no direct insert, widens a purge;
--   * UPDATE and TRUNCATE are refused always;
--   * the chain tail is read from the table under the chain lock, on every row;
--   * `audit.purged` and `events.purged` rows are written only by the purge (verify trusts the
--     cutoff table, never a payload anyone could append).
-- Kept within PostgreSQL 15 (and PGlite).

-- Minimum retention per licence tier, in days (CONTRACT.md; src/audit/purge.ts RETENTION_DAYS).
CREATE OR REPLACE FUNCTION sre_retention_days(tier text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE tier WHEN 'trial' THEN 30 WHEN 'team' THEN 30 WHEN 'business' THEN 365 WHEN 'enterprise' THEN 2555 END
$$;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS sre_audit_cutoffs (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  xact bigint NOT NULL DEFAULT 0,
  tier text NOT NULL,
  cutoff timestamptz NOT NULL,
  purged_by text NOT NULL,
  audit_purged bigint NOT NULL DEFAULT 0,
  first_seq bigint,
  last_seq bigint,
  last_hash text,
  events_purged bigint NOT NULL DEFAULT 0
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS sre_audit_cutoffs_xact_idx ON sre_audit_cutoffs (xact);
--> statement-breakpoint
-- The stamp and the retention check belong to the database, never to the inserting session.
CREATE OR REPLACE FUNCTION sre_audit_cutoffs_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  days integer := sre_retention_days(NEW.tier);
BEGIN
  IF days IS NULL THEN
    RAISE EXCEPTION 'unknown licence tier "%"', NEW.tier USING ERRCODE = 'invalid_parameter_value';
  END IF;
  NEW.at := now();
  NEW.xact := txid_current();
  IF NEW.cutoff > now() - make_interval(days => days) THEN
    RAISE EXCEPTION 'retention cutoff % is younger than the % tier''s minimum retention (% days)', NEW.cutoff, NEW.tier, days
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER sre_audit_cutoffs_check BEFORE INSERT ON sre_audit_cutoffs FOR EACH ROW EXECUTE FUNCTION sre_audit_cutoffs_check();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sre_audit_cutoffs_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sre_audit_cutoffs is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER sre_audit_cutoffs_no_change BEFORE UPDATE OR DELETE ON sre_audit_cutoffs FOR EACH ROW EXECUTE FUNCTION sre_audit_cutoffs_refuse();
--> statement-breakpoint
CREATE TRIGGER sre_audit_cutoffs_no_truncate BEFORE TRUNCATE ON sre_audit_cutoffs FOR EACH STATEMENT EXECUTE FUNCTION sre_audit_cutoffs_refuse();
--> statement-breakpoint
-- The tail from the table under the chain lock, on every row (re-taking a held lock is cheap).
CREATE OR REPLACE FUNCTION sre_actions_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  IF NEW.kind IN ('audit.purged', 'events.purged')
     AND NOT EXISTS (SELECT 1 FROM sre_audit_cutoffs c WHERE c.xact = txid_current()) THEN
    RAISE EXCEPTION '% rows are written by sre_retention_purge only', NEW.kind USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM pg_advisory_xact_lock(7400132001);
  SELECT a.seq, a.hash INTO last_seq, last_hash FROM sre_actions a ORDER BY a.seq DESC LIMIT 1;
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
  RETURN NEW;
END
$$;
--> statement-breakpoint
-- A row leaves only when a cutoff this transaction recorded covers it; no setting is read.
CREATE OR REPLACE FUNCTION sre_actions_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (
    SELECT 1 FROM sre_audit_cutoffs c
     WHERE c.xact = txid_current() AND OLD.seq <= c.last_seq AND OLD.occurred_at < c.cutoff
  ) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'sre_actions is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sre_events_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (
    SELECT 1 FROM sre_audit_cutoffs c WHERE c.xact = txid_current() AND OLD.received_at < c.cutoff
  ) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
-- Per row now (each deleted event is checked against the cutoff), was per statement.
DROP TRIGGER IF EXISTS events_no_change ON events;
--> statement-breakpoint
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION sre_events_refuse();
--> statement-breakpoint
DROP FUNCTION IF EXISTS sre_audit_purge(timestamptz, text);
--> statement-breakpoint
DROP FUNCTION IF EXISTS sre_events_purge(timestamptz, text);
--> statement-breakpoint
-- Retention, the one way rows leave the trail and the stored events. The cutoff defaults to the
-- tier's minimum on the database's clock; a requested one must be at least as old. The newest
-- audit row always stays, so the anchor appended below continues the chain.
CREATE OR REPLACE FUNCTION sre_retention_purge(tier text, purged_by text, requested timestamptz DEFAULT NULL)
RETURNS TABLE (purge_cutoff timestamptz, audit_purged bigint, anchor_seq bigint, events_purged bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  days integer := sre_retention_days(tier);
  c timestamptz;
  top bigint;
  first_s bigint;
  last_s bigint;
  last_h text;
  n bigint;
  ev bigint;
  anchor bigint;
BEGIN
  IF days IS NULL THEN
    RAISE EXCEPTION 'unknown licence tier "%"', tier USING ERRCODE = 'invalid_parameter_value';
  END IF;
  c := coalesce(requested, now() - make_interval(days => days));
  PERFORM pg_advisory_xact_lock(7400132001);
  SELECT max(a.seq) INTO top FROM sre_actions a;
  SELECT min(a.seq), max(a.seq), count(*) INTO first_s, last_s, n
    FROM sre_actions a WHERE a.occurred_at < c AND a.seq < top;
  IF n > 0 THEN
    SELECT a.hash INTO last_h FROM sre_actions a WHERE a.seq = last_s;
  END IF;
  SELECT count(*) INTO ev FROM events e WHERE e.received_at < c;
  -- Recorded first (its trigger checks the tier's minimum): the delete triggers look for it.
  INSERT INTO sre_audit_cutoffs (tier, cutoff, purged_by, audit_purged, first_seq, last_seq, last_hash, events_purged)
  VALUES (tier, c, purged_by, n, first_s, last_s, last_h, ev);
  IF n > 0 THEN
    DELETE FROM sre_actions a WHERE a.seq <= last_s;
  END IF;
  DELETE FROM events e WHERE e.received_at < c;
  INSERT INTO sre_actions (source, kind, actor_type, actor, payload)
  VALUES ('sre-agent', 'events.purged', 'system', purged_by, jsonb_build_object(
    'cutoff', to_char(c AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'purged_count', ev));
  INSERT INTO sre_actions (source, kind, actor_type, actor, payload)
  VALUES ('sre-agent', 'audit.purged', 'system', purged_by, jsonb_build_object(
    'cutoff', to_char(c AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'purged_count', n,
    'first_purged_seq', first_s,
    'last_purged_seq', last_s,
    'last_purged_hash', last_h))
  RETURNING sre_actions.seq INTO anchor;
  RETURN QUERY SELECT c, n, anchor, ev;
END
$$;
--> statement-breakpoint
-- Walks the chain in order; returns the first broken row, or ok with the count checked. A first
-- row that links to an earlier hash must continue exactly where a recorded cutoff ended.
CREATE OR REPLACE FUNCTION sre_audit_verify()
RETURNS TABLE (ok boolean, checked bigint, broken_seq bigint, problem text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  r sre_actions;
  expected_prev text := NULL;
  expected_seq bigint := NULL;
  n bigint := 0;
BEGIN
  FOR r IN SELECT * FROM sre_actions ORDER BY seq LOOP
    IF expected_prev IS NULL THEN
      IF r.prev_hash <> '' AND NOT EXISTS (
        SELECT 1 FROM sre_audit_cutoffs c WHERE c.last_hash = r.prev_hash AND c.last_seq = r.seq - 1
      ) THEN
        RETURN QUERY SELECT false, n, r.seq, 'first row links to a hash no recorded retention cutoff ends with: rows before it were removed';
        RETURN;
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
REVOKE ALL ON FUNCTION sre_retention_purge(text, text, timestamptz) FROM PUBLIC;
--> statement-breakpoint
-- The application role (0001) reads and appends; it never updates, deletes or truncates the
-- trail, the events or the cutoffs, and purges only through the function.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sre_agent_app') THEN
    CREATE ROLE sre_agent_app NOLOGIN;
  END IF;
  GRANT SELECT, INSERT ON sre_actions, events TO sre_agent_app;
  GRANT SELECT ON sre_audit_cutoffs TO sre_agent_app;
  REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON sre_audit_cutoffs FROM sre_agent_app, PUBLIC;
  REVOKE UPDATE, DELETE, TRUNCATE ON sre_actions, events FROM sre_agent_app, PUBLIC;
  GRANT EXECUTE ON FUNCTION sre_retention_purge(text, text, timestamptz) TO sre_agent_app;
EXCEPTION WHEN insufficient_privilege OR unique_violation OR duplicate_object THEN
  RAISE NOTICE 'sre_agent_app role not set up: %', SQLERRM;
END
$$;
