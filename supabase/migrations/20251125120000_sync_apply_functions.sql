-- supabase-sync: the functions the target is written through. Writes made by the sync run with
-- session_replication_role = replica so that application triggers (updated_at stampers, audit,
-- webhooks, the ledger trigger itself) do not fire and the target holds the source's values exactly.
-- A version guard on the incremental column keeps a stale copy from overwriting a newer one;
-- tombstones keep a deleted row from coming back.
-- Apply every migration in supabase/migrations to BOTH projects (after a failover the backup is the
-- source). Projects that applied 20251120120000_create_sync_deletions_table.sql before it was split
-- already have these functions: this re-creates them as they are. Idempotent: safe to run again.
-- Everything here is for `service_role` only.
CREATE TABLE IF NOT EXISTS public.sync_tombstones (
  schema_name text NOT NULL,
  table_name text NOT NULL,
  primary_key jsonb NOT NULL,
  deleted_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schema_name, table_name, primary_key)
);
CREATE INDEX IF NOT EXISTS sync_tombstones_recent ON public.sync_tombstones (schema_name, table_name, recorded_at);
ALTER TABLE public.sync_tombstones ENABLE ROW LEVEL SECURITY;

-- Checks names against the catalog and returns the writable columns named in p_columns.
CREATE OR REPLACE FUNCTION public.sync_table_columns(p_schema text, p_table text, p_columns text[])
RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rel oid;
  cols text[];
BEGIN
  SELECT c.oid INTO rel FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = p_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
  IF rel IS NULL THEN
    RAISE EXCEPTION 'table %.% does not exist on the target', p_schema, p_table
      USING ERRCODE = '42P01', HINT = 'Create it on the target with the same columns as on the source.';
  END IF;
  SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO cols
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     AND a.attname = ANY (p_columns);
  RETURN coalesce(cols, '{}');
END $$;

-- Upserts rows (a JSON array of objects as the source's REST API returns them).
-- p_version_column: the incremental column (e.g. updated_at); a row is written only when the
-- target has no row with that key, holds an older version, or holds the same version with
-- different values.
-- Tombstones: a row whose key was deleted on the target in the last two minutes is skipped if the
-- delete is at least as new as the row's version (and, for a change from Realtime, which carries
-- `_sync_commit_at`, as new as its commit). That stops a copy read before the delete, and written
-- after it, from bringing the row back; reads are written within seconds, so two minutes is ample.
-- Later, a row re-inserted by a transaction that began before the delete (its version is older than
-- the delete) is no longer held off, and the next pass brings it.
-- Returns {"written": n, "skipped": m}.
DROP FUNCTION IF EXISTS public.sync_apply_upserts(text, text, text[], text, jsonb);
CREATE OR REPLACE FUNCTION public.sync_apply_upserts(
  p_schema text, p_table text, p_primary_keys text[], p_version_column text, p_rows json
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  cols text[];
  missing text[];
  col_list text;
  select_list text;
  update_list text;
  pk_list text;
  pk_json text;
  pk_order text;
  guard text;
  differs text;
  tomb text := 'true';
  from_list text;
  written integer;
  total integer := json_array_length(p_rows);
  from_realtime boolean;
BEGIN
  IF total = 0 THEN RETURN jsonb_build_object('written', 0, 'skipped', 0); END IF;
  -- Every row of one call has the same keys (the worker groups rows by key set): the first row
  -- names the columns. A row without a column would otherwise write NULL into it.
  SELECT array_agg(k) INTO cols FROM json_object_keys(p_rows -> 0) k WHERE k <> '_sync_commit_at';
  from_realtime := (p_rows -> 0 -> '_sync_commit_at') IS NOT NULL;
  SELECT array_agg(c) INTO missing FROM unnest(cols) c
   WHERE c <> ALL (public.sync_table_columns(p_schema, p_table, cols));
  IF missing IS NOT NULL THEN
    IF EXISTS (SELECT 1 FROM unnest(missing) m JOIN pg_catalog.pg_attribute a ON a.attname = m
                JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = p_schema AND c.relname = p_table AND a.attgenerated <> '') THEN
      cols := public.sync_table_columns(p_schema, p_table, cols);  -- generated columns are computed on the target
    ELSE
      RAISE EXCEPTION 'column(s) % of %.% do not exist on the target', array_to_string(missing, ', '), p_schema, p_table
        USING ERRCODE = '42703', HINT = 'Add the same columns to the target table (apply the source''s migrations to the target).';
    END IF;
  END IF;
  SELECT string_agg(format('%I', c), ', '), string_agg(format('r.%I', c), ', '), string_agg(format('%I = EXCLUDED.%I', c, c), ', '),
         '(' || string_agg(format('t.%I', c), ', ') || ') IS DISTINCT FROM (' || string_agg(format('EXCLUDED.%I', c), ', ') || ')'
    INTO col_list, select_list, update_list, differs FROM unnest(cols) c;
  SELECT string_agg(format('%I', k), ', '), 'jsonb_build_object(' || string_agg(format('%L, r.%I', k, k), ', ') || ')',
         string_agg(format('r.%I', k), ', ')
    INTO pk_list, pk_json, pk_order FROM unnest(p_primary_keys) k;
  -- The per-row tombstone probe only when this table had a delete in the last two minutes.
  IF EXISTS (SELECT 1 FROM public.sync_tombstones ts WHERE ts.schema_name = p_schema AND ts.table_name = p_table
              AND ts.recorded_at > now() - interval '2 minutes') THEN
    tomb := format('NOT EXISTS (SELECT 1 FROM public.sync_tombstones ts WHERE ts.schema_name = %L AND ts.table_name = %L '
                   'AND ts.primary_key = %s AND ts.recorded_at > now() - interval ''2 minutes''',
                   p_schema, p_table, pk_json);
    IF from_realtime THEN
      tomb := tomb || ' AND (e.value ->> ''_sync_commit_at'' IS NULL OR ts.deleted_at >= (e.value ->> ''_sync_commit_at'')::timestamptz)';
    END IF;
    IF p_version_column IS NOT NULL THEN
      tomb := tomb || format(' AND (r.%1$I IS NULL OR ts.deleted_at >= r.%1$I)', p_version_column);
    END IF;
    tomb := tomb || ')';
  END IF;
  IF p_version_column IS NOT NULL THEN
    guard := format('t.%1$I IS NULL OR t.%1$I < EXCLUDED.%1$I OR (t.%1$I = EXCLUDED.%1$I AND %2$s)', p_version_column, differs);
  ELSE
    guard := differs;
  END IF;
  -- Rows are written in key order, so concurrent writers (pages in flight, the realtime feed) lock
  -- keys in one order and cannot deadlock. One json_populate_recordset call unless the tombstone probe needs each row's commit time.
  from_list := CASE WHEN from_realtime AND tomb <> 'true'
    THEN format('json_array_elements($1) AS e, LATERAL json_populate_record(NULL::%I.%I, e.value) AS r', p_schema, p_table)
    ELSE format('json_populate_recordset(NULL::%I.%I, $1) AS r', p_schema, p_table) END;
  PERFORM set_config('session_replication_role', 'replica', true);
  EXECUTE format(
    'INSERT INTO %1$I.%2$I AS t (%3$s) OVERRIDING SYSTEM VALUE '
    'SELECT %8$s FROM %9$s WHERE %4$s ORDER BY %10$s '
    'ON CONFLICT (%5$s) DO UPDATE SET %6$s WHERE %7$s',
    p_schema, p_table, col_list, tomb, pk_list, update_list, guard, select_list, from_list, pk_order)
  USING p_rows;
  GET DIAGNOSTICS written = ROW_COUNT;
  RETURN jsonb_build_object('written', written, 'skipped', total - written);
END $$;

-- Deletes rows by key (p_keys: JSON array of {"<pk col>": value, …, "_deleted_at": timestamptz}).
-- A row whose version is newer than the delete (it was re-inserted on the source later) is kept.
-- Records a tombstone per key so an in-flight stale upsert cannot bring the row back.
-- Returns {"deleted": n}.
CREATE OR REPLACE FUNCTION public.sync_apply_deletes(
  p_schema text, p_table text, p_primary_keys text[], p_version_column text, p_keys jsonb
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  join_cond text;
  pk_obj text;
  version_guard text := '';
  deleted integer;
BEGIN
  IF jsonb_array_length(p_keys) = 0 THEN RETURN jsonb_build_object('deleted', 0); END IF;
  PERFORM public.sync_table_columns(p_schema, p_table, p_primary_keys);
  SELECT string_agg(format('t.%1$I = r.%1$I', k), ' AND '),
         'jsonb_build_object(' || string_agg(format('%L, to_jsonb(r.%I)', k, k), ', ') || ')'
    INTO join_cond, pk_obj FROM unnest(p_primary_keys) k;
  IF p_version_column IS NOT NULL THEN
    version_guard := format(' AND (t.%1$I IS NULL OR e.value ->> ''_deleted_at'' IS NULL OR t.%1$I <= (e.value ->> ''_deleted_at'')::timestamptz)', p_version_column);
  END IF;
  PERFORM set_config('session_replication_role', 'replica', true);
  EXECUTE format(
    'DELETE FROM %1$I.%2$I AS t USING jsonb_array_elements($1) e, LATERAL jsonb_populate_record(NULL::%1$I.%2$I, e.value) r '
    'WHERE %3$s%4$s',
    p_schema, p_table, join_cond, version_guard)
  USING p_keys;
  GET DIAGNOSTICS deleted = ROW_COUNT;
  -- One tombstone row per key: a key may come more than once (the ledger logs a key deleted,
  -- re-inserted and deleted again twice), and ON CONFLICT DO UPDATE cannot touch a row twice.
  EXECUTE format(
    'INSERT INTO public.sync_tombstones (schema_name, table_name, primary_key, deleted_at) '
    'SELECT %1$L, %2$L, k, max(d) FROM ('
    'SELECT %3$s AS k, coalesce((e.value ->> ''_deleted_at'')::timestamptz, now()) AS d '
    'FROM jsonb_array_elements($1) e, jsonb_populate_record(NULL::%1$I.%2$I, e.value) r) s '
    'GROUP BY k '
    'ON CONFLICT (schema_name, table_name, primary_key) DO UPDATE SET deleted_at = greatest(public.sync_tombstones.deleted_at, EXCLUDED.deleted_at), recorded_at = now()',
    p_schema, p_table, pk_obj)
  USING p_keys;
  DELETE FROM public.sync_tombstones WHERE recorded_at < now() - interval '7 days';
  RETURN jsonb_build_object('deleted', deleted);
END $$;

-- Only service_role may read the tombstones or call these functions.
REVOKE ALL ON TABLE public.sync_tombstones FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_table_columns(text, text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_apply_upserts(text, text, text[], text, json) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_apply_deletes(text, text, text[], text, jsonb) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON TABLE public.sync_tombstones FROM %I', r);
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_table_columns(text, text, text[]), '
                     'public.sync_apply_upserts(text, text, text[], text, json), public.sync_apply_deletes(text, text, text[], text, jsonb) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT ALL ON TABLE public.sync_tombstones TO service_role;
    GRANT EXECUTE ON FUNCTION public.sync_apply_upserts(text, text, text[], text, json), public.sync_apply_deletes(text, text, text[], text, jsonb)
      TO service_role;
  END IF;
END $$;
