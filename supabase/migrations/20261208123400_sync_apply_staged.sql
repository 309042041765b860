-- supabase-sync: the direct copy's merge (SYNC_SOURCE_DATABASE_URL and SYNC_TARGET_DATABASE_URL set:
-- src/activities/direct-copy.ts). The worker streams a key range of the source's table with COPY into
-- a temporary staging table of the target's session (the columns both sides have, the target's
-- types), then calls `sync_apply_staged` in the same transaction, which hands the staged rows to
-- `sync_apply_upserts` (20261202120200), inside the database: the same rule as every write through the
-- API (version guard, tombstones, `SET LOCAL session_replication_role = replica`, ALWAYS identity
-- columns, key order), not a copy of it. A unique constraint other than the key that refuses the
-- write: nothing is written and its name is returned; the worker sends that range through the API's
-- path, which resolves it (`sync_apply_resolve`). A range the target holds no row of does not come
-- here: the worker copies it straight into the table (src/supabase/direct-target.ts).
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `postgres` only
-- (the direct path connects as the project's `postgres`; the Data API never calls it).

-- p_staging: the name of a temporary table of the calling session (pg_temp) holding the rows.
-- Returns sync_apply_upserts' result with "rows" (the rows staged) and "max_version" (the newest
-- version staged, rendered as the Data API renders it, or null).
CREATE OR REPLACE FUNCTION public.sync_apply_staged(
  p_schema text, p_table text, p_primary_keys text[], p_version_column text, p_staging text
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = '' SET timezone = 'UTC' SET intervalstyle = 'postgres' SET bytea_output = 'hex'
SET extra_float_digits = 1 AS $$
DECLARE
  staged text := format('pg_temp.%I', p_staging);
  total bigint;
  newest json;
  rows json;
BEGIN
  EXECUTE format('SELECT count(*), %s, coalesce(json_agg(r), ''[]'') FROM %s AS r',
                 CASE WHEN p_version_column IS NULL THEN 'NULL::json'
                      ELSE format('to_json(max(r.%I))', p_version_column) END, staged)
    INTO total, newest, rows;
  RETURN public.sync_apply_upserts(p_schema, p_table, p_primary_keys, p_version_column, rows)
    || jsonb_build_object('rows', total, 'max_version', newest #>> '{}');
END $$;

REVOKE ALL ON FUNCTION public.sync_apply_staged(text, text, text[], text, text) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_apply_staged(text, text, text[], text, text) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'postgres') THEN
    GRANT EXECUTE ON FUNCTION public.sync_apply_staged(text, text, text[], text, text) TO postgres;
  END IF;
END $$;
