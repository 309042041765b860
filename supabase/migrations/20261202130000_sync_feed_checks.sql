-- supabase-sync: the cheap reads a running Realtime feed checks the source with, every few seconds.
-- Hosted Realtime drops changes silently over the plan's message quota (the channel stays joined),
-- so the feed compares what it received with what the source has: the newest version and ledger
-- entry of many tables in one call, then, when the source is ahead, the keys and versions of the
-- rows in the gap (not the rows), so that only what did not arrive is read in full.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

-- Where each of many tables is: p_tables is a JSON array of {"schema", "table", "version"} (the
-- version column, or null); the result, in the same order, [{"version": <newest value as the rows
-- render it> | null, "ledger": <newest unprocessed ledger id> | null, "error": <message> | absent}].
-- A table that cannot be read gets "error" instead of failing the others.
CREATE OR REPLACE FUNCTION public.sync_source_positions(p_tables jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = '' SET timezone = 'UTC' SET intervalstyle = 'postgres' SET row_security = off AS $$
DECLARE
  t jsonb;
  out jsonb := '[]';
BEGIN
  IF jsonb_typeof(p_tables) IS DISTINCT FROM 'array' OR jsonb_array_length(p_tables) > 1000 THEN
    RAISE EXCEPTION 'p_tables must be a JSON array of at most 1000 tables' USING ERRCODE = '22023';
  END IF;
  FOR t IN SELECT value FROM jsonb_array_elements(p_tables) LOOP
    BEGIN
      out := out || jsonb_build_array(public.sync_source_position(t ->> 'schema', t ->> 'table', t ->> 'version'));
    EXCEPTION WHEN OTHERS THEN
      out := out || jsonb_build_array(jsonb_build_object('error', SQLERRM));
    END;
  END LOOP;
  RETURN out;
END $$;

-- The keys and versions of the rows whose version is in [p_from, p_until] (inclusive; a null
-- bound is open), at most p_limit (1–10000), in version order:
-- [[<key value>, …, <version>], …], each value as the rows render it (to_jsonb).
CREATE OR REPLACE FUNCTION public.sync_read_versions(
  p_schema text, p_table text, p_primary_keys text[], p_version_column text, p_from text, p_until text, p_limit integer
) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = '' SET timezone = 'UTC' SET intervalstyle = 'postgres' SET row_security = off AS $$
DECLARE
  v jsonb := public.sync_column_terms(p_schema, p_table, ARRAY[p_version_column], 'jsonb_build_array($1)');
  u jsonb := public.sync_column_terms(p_schema, p_table, ARRAY[p_version_column], 'jsonb_build_array($2)');
  keys text;
  result jsonb;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
    RAISE EXCEPTION 'p_limit must be between 1 and 10000 (got %)', p_limit USING ERRCODE = '22023';
  END IF;
  PERFORM public.sync_column_terms(p_schema, p_table, p_primary_keys, '$1');
  SELECT string_agg(format('to_jsonb(t.%I)', k), ', ') INTO keys FROM unnest(p_primary_keys) k;
  EXECUTE format(
    'SELECT coalesce(jsonb_agg(x.k ORDER BY x.n), ''[]'') FROM ('
    'SELECT jsonb_build_array(%1$s, to_jsonb(t.%2$I)) AS k, row_number() OVER (ORDER BY t.%2$I) AS n '
    'FROM %3$I.%4$I AS t WHERE t.%2$I IS NOT NULL AND ($1::text IS NULL OR t.%2$I >= %5$s) '
    'AND ($2::text IS NULL OR t.%2$I <= %6$s) ORDER BY t.%2$I LIMIT $3) AS x',
    keys, p_version_column, p_schema, p_table, v ->> 'casts', u ->> 'casts')
    INTO result USING p_from, p_until, p_limit;
  RETURN result;
END $$;

-- The unprocessed ledger entries of one table with ids after p_after_id, oldest first, at most
-- p_limit: [{"id", "primary_key", "deleted_at", "kind"}] (the feed reads the deletes it may have
-- missed; the pass marks them processed).
CREATE OR REPLACE FUNCTION public.sync_pending_deletions_after(p_schema text, p_table text, p_after_id bigint, p_limit integer)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' SET timezone = 'UTC' AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id::text, 'primary_key', d.primary_key,
                                               'deleted_at', d.deleted_at, 'kind', d.kind) ORDER BY d.id), '[]')
    FROM (SELECT * FROM public.sync_deletions
           WHERE schema_name = p_schema AND table_name = p_table AND processed_at IS NULL AND id > coalesce(p_after_id, 0)
           ORDER BY id LIMIT greatest(1, least(p_limit, 10000))) AS d
$$;

-- The version of the supabase-sync functions (see 20261202120300_sync_ledger_v2.sql).
CREATE OR REPLACE FUNCTION public.sync_functions_version() RETURNS bigint
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$ SELECT 20261202130000::bigint $$;

REVOKE ALL ON FUNCTION public.sync_source_positions(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_read_versions(text, text, text[], text, text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_pending_deletions_after(text, text, bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_functions_version() FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_source_positions(jsonb), '
                     'public.sync_read_versions(text, text, text[], text, text, text, integer), '
                     'public.sync_pending_deletions_after(text, text, bigint, integer), '
                     'public.sync_functions_version() FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_source_positions(jsonb),
      public.sync_read_versions(text, text, text[], text, text, text, integer),
      public.sync_pending_deletions_after(text, text, bigint, integer), public.sync_functions_version()
      TO service_role;
  END IF;
END $$;
