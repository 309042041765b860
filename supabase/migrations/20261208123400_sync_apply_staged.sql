-- supabase-sync: the direct copy's merge (SYNC_SOURCE_DATABASE_URL and SYNC_TARGET_DATABASE_URL set:
-- src/activities/direct-copy.ts). The worker streams a key range of the source's table with COPY into
-- a temporary staging table of the target's session (same columns, same types), then calls
-- `sync_apply_staged` in the same transaction, which writes the staged rows into the table under the
-- rule of `sync_apply_upserts` (20261202120200): a row is written only when the target has no row with
-- its key, holds an older version, or holds the same version with different values; a row deleted on
-- the target in the last two minutes is not brought back by a copy older than the delete (tombstones);
-- `SET LOCAL session_replication_role = replica` (the target's triggers and foreign-key checks do not
-- fire); ALWAYS identity columns written as they are; rows written in key order (no deadlock with the
-- realtime feed writing the same table). A unique constraint other than the key that refuses the
-- write: nothing is written and its name is returned, the worker sends that range through the API's
-- path, which resolves it (`sync_apply_resolve`).
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `postgres` only
-- (the direct path connects as the project's `postgres`; the Data API never calls it).

-- p_staging: the name of a temporary table of the calling session (pg_temp) holding the rows.
-- Returns {"rows": staged, "written": n, "skipped": rows - n, "max_version": newest version staged
-- (rendered as the Data API renders it) or null}, or {"rows": staged, "written": 0, "skipped": 0,
-- "conflict": "<constraint>"}.
CREATE OR REPLACE FUNCTION public.sync_apply_staged(
  p_schema text, p_table text, p_primary_keys text[], p_version_column text, p_staging text
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET timezone = 'UTC' AS $$
DECLARE
  staged text := format('pg_temp.%I', p_staging);
  total bigint;
  newest json;
  spec jsonb;
  cols text[];
  always text[];
  col_list text;
  select_list text;
  update_list text;
  differs text;
  pk_list text;
  pk_json text;
  pk_order text;
  pk_match text;
  guard text;
  tomb text := 'true';
  on_conflict text;
  written bigint;
  conflict text;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s', staged) INTO total;
  IF total = 0 THEN
    RETURN jsonb_build_object('rows', 0, 'written', 0, 'skipped', 0, 'max_version', NULL);
  END IF;
  IF p_version_column IS NOT NULL THEN
    EXECUTE format('SELECT to_json(max(r.%I)) FROM %s AS r', p_version_column, staged) INTO newest;
  END IF;
  -- The staging table's columns, checked against the table as a write through the API is.
  spec := public.sync_apply_columns(p_schema, p_table, p_primary_keys,
    (SELECT json_object_agg(a.attname, NULL) FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = staged::regclass AND a.attnum > 0 AND NOT a.attisdropped));
  cols := ARRAY(SELECT jsonb_array_elements_text(spec -> 'cols'));
  always := ARRAY(SELECT jsonb_array_elements_text(spec -> 'always'));
  SELECT string_agg(format('%I', c), ', '), string_agg(format('r.%I', c), ', '),
         string_agg(format('%I = EXCLUDED.%I', c, c), ', ') FILTER (WHERE c <> ALL (p_primary_keys) AND c <> ALL (always)),
         '(' || string_agg(format('t.%I', c), ', ') || ') IS DISTINCT FROM (' || string_agg(format('EXCLUDED.%I', c), ', ') || ')'
    INTO col_list, select_list, update_list, differs FROM unnest(cols) c;
  SELECT string_agg(format('%I', k), ', '), 'jsonb_build_object(' || string_agg(format('%L, r.%I', k, k), ', ') || ')',
         string_agg(format('r.%I', k), ', '), string_agg(format('t.%1$I = r.%1$I', k), ' AND ')
    INTO pk_list, pk_json, pk_order, pk_match FROM unnest(p_primary_keys) k;
  IF EXISTS (SELECT 1 FROM public.sync_tombstones ts WHERE ts.schema_name = p_schema AND ts.table_name = p_table
              AND ts.recorded_at > now() - interval '2 minutes') THEN
    tomb := format('NOT EXISTS (SELECT 1 FROM public.sync_tombstones ts WHERE ts.schema_name = %L AND ts.table_name = %L '
                   'AND ts.primary_key = %s AND ts.recorded_at > now() - interval ''2 minutes''',
                   p_schema, p_table, pk_json);
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
  on_conflict := CASE WHEN update_list IS NULL THEN 'DO NOTHING'
                      ELSE format('DO UPDATE SET %s WHERE %s', update_list, guard) END;
  SET LOCAL session_replication_role = replica;
  BEGIN
    IF cardinality(always) > 0 THEN
      EXECUTE format(
        'DELETE FROM %1$I.%2$I AS t USING %3$s AS r WHERE %4$s AND (%5$s) IS DISTINCT FROM (%6$s)%7$s',
        p_schema, p_table, staged, pk_match,
        (SELECT string_agg(format('t.%I', c), ', ') FROM unnest(always) c),
        (SELECT string_agg(format('r.%I', c), ', ') FROM unnest(always) c),
        CASE WHEN p_version_column IS NULL THEN ''
             ELSE format(' AND (t.%1$I IS NULL OR r.%1$I IS NULL OR t.%1$I <= r.%1$I)', p_version_column) END);
    END IF;
    EXECUTE format(
      'INSERT INTO %1$I.%2$I AS t (%3$s) OVERRIDING SYSTEM VALUE '
      'SELECT %4$s FROM %5$s AS r WHERE %6$s ORDER BY %7$s ON CONFLICT (%8$s) %9$s',
      p_schema, p_table, col_list, select_list, staged, tomb, pk_order, pk_list, on_conflict);
    GET DIAGNOSTICS written = ROW_COUNT;
  EXCEPTION WHEN unique_violation THEN
    -- Only the constraint's name leaves: the error's detail holds row values.
    GET STACKED DIAGNOSTICS conflict = CONSTRAINT_NAME;
    RETURN jsonb_build_object('rows', total, 'written', 0, 'skipped', 0,
                              'conflict', coalesce(nullif(conflict, ''), 'a unique index'));
  END;
  RETURN jsonb_build_object('rows', total, 'written', written, 'skipped', total - written,
                            'max_version', newest #>> '{}');
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
