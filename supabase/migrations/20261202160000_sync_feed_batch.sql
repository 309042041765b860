-- supabase-sync: the feeds' gap checks of many tables in one call. Every second each worker's feeds
-- compare what Realtime delivered with the source (20261202130000_sync_feed_checks.sql); with a
-- request per changed table that was one API call per table a second. This reads them all at once.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

-- The keys and versions of the changed rows of many tables (sync_read_versions for each).
-- p_requests: a JSON array (at most 1000) of {"schema", "table", "primary_keys": [..],
-- "version_column", "from", "until", "limit"}; p_budget (1–100000): the rows returned in all, at
-- most — a table gets min(its limit, what is left), so one table with a large gap cannot make the
-- answer huge. The result, in the same order: [{"versions": [[<key value>, …, <version>], …],
-- "limit": <the limit it was read with; 0 when the budget was spent>} | {"error": <message>}].
-- A listing as long as its "limit" may have more rows; a table that cannot be read fails alone.
CREATE OR REPLACE FUNCTION public.sync_read_versions_many(p_requests jsonb, p_budget integer)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = '' SET timezone = 'UTC' SET intervalstyle = 'postgres' SET row_security = off AS $$
DECLARE
  r jsonb;
  lim integer;
  listed jsonb;
  left_over integer := p_budget;
  out jsonb := '[]';
BEGIN
  IF jsonb_typeof(p_requests) IS DISTINCT FROM 'array' OR jsonb_array_length(p_requests) > 1000 THEN
    RAISE EXCEPTION 'p_requests must be a JSON array of at most 1000 requests' USING ERRCODE = '22023';
  END IF;
  IF p_budget IS NULL OR p_budget < 1 OR p_budget > 100000 THEN
    RAISE EXCEPTION 'p_budget must be between 1 and 100000 (got %)', p_budget USING ERRCODE = '22023';
  END IF;
  FOR r IN SELECT value FROM jsonb_array_elements(p_requests) LOOP
    BEGIN
      lim := least((r ->> 'limit')::integer, left_over);
      IF lim < 1 THEN
        out := out || jsonb_build_array(jsonb_build_object('versions', '[]'::jsonb, 'limit', 0));
        CONTINUE;
      END IF;
      listed := public.sync_read_versions(
        r ->> 'schema', r ->> 'table', ARRAY(SELECT jsonb_array_elements_text(r -> 'primary_keys')),
        r ->> 'version_column', r ->> 'from', r ->> 'until', lim);
      left_over := left_over - jsonb_array_length(listed);
      out := out || jsonb_build_array(jsonb_build_object('versions', listed, 'limit', lim));
    EXCEPTION WHEN OTHERS THEN
      out := out || jsonb_build_array(jsonb_build_object('error', SQLERRM));
    END;
  END LOOP;
  RETURN out;
END $$;

-- The version of the supabase-sync functions (see 20261202120300_sync_ledger_v2.sql).
CREATE OR REPLACE FUNCTION public.sync_functions_version() RETURNS bigint
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$ SELECT 20261202160000::bigint $$;

REVOKE ALL ON FUNCTION public.sync_read_versions_many(jsonb, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_functions_version() FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_read_versions_many(jsonb, integer), '
                     'public.sync_functions_version() FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_read_versions_many(jsonb, integer), public.sync_functions_version()
      TO service_role;
  END IF;
END $$;
