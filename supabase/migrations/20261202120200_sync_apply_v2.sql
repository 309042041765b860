-- supabase-sync: the functions the target is written through, second version. They replace those of
-- 20251125120000_sync_apply_functions.sql (same names and arguments, so nothing else changes):
-- - `SET LOCAL session_replication_role = replica`, a SET statement: hosted projects let their
--   non-superuser `postgres` (the owner of these functions) set it only that way (supautils), never
--   through set_config(). With it the target's own triggers (updated_at stampers, audit, webhooks,
--   the ledger trigger, foreign-key checks and cascades) do not fire: the target holds the source's
--   values exactly, and tables can be written in any order.
-- - Identity columns: rows are inserted OVERRIDING SYSTEM VALUE; key columns are never in the
--   UPDATE (an identity column GENERATED ALWAYS may only be updated to DEFAULT), and a row whose
--   other ALWAYS identity column changed is deleted and inserted again.
-- - Unique constraints other than the primary key hold on the target too, so a row can meet
--   another that still has a value the source has since given to it (values swapped in one
--   transaction, a deleted row's value reused, renames in a chain). `sync_apply_upserts` then
--   writes nothing and says which constraint was in the way; the worker reads the current state of
--   the rows involved from the source (one snapshot, which never conflicts with itself) and hands it
--   to `sync_apply_resolve`, which names the target rows still in the way (the worker adds them and
--   reads again) or, when none is left, deletes and re-inserts the rows involved together.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

-- Internal: the columns of a write (the keys of its first row, `_sync_*` markers left out), checked
-- against the table: {"cols": [...], "always": [ALWAYS identity columns among them, not in the key]}.
-- Generated columns are dropped (the target computes them); a column the target lacks is 42703.
CREATE OR REPLACE FUNCTION public.sync_apply_columns(p_schema text, p_table text, p_primary_keys text[], p_row json)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rel oid := public.sync_table_oid(p_schema, p_table);
  given text[];
  cols text[];
  missing text[];
  always text[];
BEGIN
  SELECT array_agg(k) INTO given FROM json_object_keys(p_row) k WHERE k NOT LIKE '\_sync\_%';
  SELECT array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attgenerated = ''),
         array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attidentity = 'a' AND a.attname <> ALL (p_primary_keys))
    INTO cols, always
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY (given);
  SELECT array_agg(g) INTO missing FROM unnest(given) g
   WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = rel AND a.attname = g AND a.attnum > 0 AND NOT a.attisdropped);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'column(s) % of %.% do not exist on the target', array_to_string(missing, ', '), p_schema, p_table
      USING ERRCODE = '42703', HINT = 'Add the same columns to the target table (apply the source''s migrations to the target).';
  END IF;
  IF NOT coalesce(p_primary_keys <@ cols, false) THEN
    RAISE EXCEPTION 'the rows for %.% lack primary key column(s) %', p_schema, p_table, array_to_string(p_primary_keys, ', ')
      USING ERRCODE = '42703', HINT = 'Fix primaryKeys in the tables config.';
  END IF;
  RETURN jsonb_build_object('cols', to_jsonb(cols), 'always', to_jsonb(coalesce(always, '{}')));
END $$;

-- Upserts rows (a JSON array of objects as the source renders them; every row has the same keys).
-- p_version_column: a row is written only when the target has no row with its key, holds an older
-- version, or holds the same version with different values. Tombstones (see sync_apply_deletes):
-- a row deleted on the target in the last two minutes is not brought back by a copy older than the
-- delete (for a Realtime change, which carries `_sync_commit_at`, also one committed before it).
-- Returns {"written": n, "skipped": m}, or {"written": 0, "skipped": 0, "conflict": "<constraint>"}
-- when a unique constraint other than the primary key refused the write (nothing is written then).
CREATE OR REPLACE FUNCTION public.sync_apply_upserts(
  p_schema text, p_table text, p_primary_keys text[], p_version_column text, p_rows json
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  total integer := json_array_length(p_rows);
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
  from_list text;
  on_conflict text;
  from_realtime boolean;
  written integer;
  conflict text;
BEGIN
  IF total = 0 THEN RETURN jsonb_build_object('written', 0, 'skipped', 0); END IF;
  spec := public.sync_apply_columns(p_schema, p_table, p_primary_keys, p_rows -> 0);
  cols := ARRAY(SELECT jsonb_array_elements_text(spec -> 'cols'));
  always := ARRAY(SELECT jsonb_array_elements_text(spec -> 'always'));
  from_realtime := (p_rows -> 0 -> '_sync_commit_at') IS NOT NULL;
  SELECT string_agg(format('%I', c), ', '), string_agg(format('r.%I', c), ', '),
         string_agg(format('%I = EXCLUDED.%I', c, c), ', ') FILTER (WHERE c <> ALL (p_primary_keys) AND c <> ALL (always)),
         '(' || string_agg(format('t.%I', c), ', ') || ') IS DISTINCT FROM (' || string_agg(format('EXCLUDED.%I', c), ', ') || ')'
    INTO col_list, select_list, update_list, differs FROM unnest(cols) c;
  SELECT string_agg(format('%I', k), ', '), 'jsonb_build_object(' || string_agg(format('%L, r.%I', k, k), ', ') || ')',
         string_agg(format('r.%I', k), ', '), string_agg(format('t.%1$I = r.%1$I', k), ' AND ')
    INTO pk_list, pk_json, pk_order, pk_match FROM unnest(p_primary_keys) k;
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
  on_conflict := CASE WHEN update_list IS NULL THEN 'DO NOTHING'
                      ELSE format('DO UPDATE SET %s WHERE %s', update_list, guard) END;
  -- Rows are written in key order, so concurrent writers (pages in flight, the realtime feed) lock
  -- keys in one order and cannot deadlock.
  from_list := CASE WHEN from_realtime AND tomb <> 'true'
    THEN format('json_array_elements($1) AS e, LATERAL json_populate_record(NULL::%I.%I, e.value) AS r', p_schema, p_table)
    ELSE format('json_populate_recordset(NULL::%I.%I, $1) AS r', p_schema, p_table) END;
  SET LOCAL session_replication_role = replica;
  BEGIN
    IF cardinality(always) > 0 THEN
      -- An ALWAYS identity column that changed cannot be UPDATEd: such rows go, and come back below.
      EXECUTE format(
        'DELETE FROM %1$I.%2$I AS t USING json_populate_recordset(NULL::%1$I.%2$I, $1) AS r WHERE %3$s AND (%4$s) IS DISTINCT FROM (%5$s)%6$s',
        p_schema, p_table, pk_match,
        (SELECT string_agg(format('t.%I', c), ', ') FROM unnest(always) c),
        (SELECT string_agg(format('r.%I', c), ', ') FROM unnest(always) c),
        CASE WHEN p_version_column IS NULL THEN ''
             ELSE format(' AND (t.%1$I IS NULL OR r.%1$I IS NULL OR t.%1$I <= r.%1$I)', p_version_column) END)
      USING p_rows;
    END IF;
    EXECUTE format(
      'INSERT INTO %1$I.%2$I AS t (%3$s) OVERRIDING SYSTEM VALUE '
      'SELECT %4$s FROM %5$s WHERE %6$s ORDER BY %7$s ON CONFLICT (%8$s) %9$s',
      p_schema, p_table, col_list, select_list, from_list, tomb, pk_order, pk_list, on_conflict)
    USING p_rows;
    GET DIAGNOSTICS written = ROW_COUNT;
  EXCEPTION WHEN unique_violation THEN
    -- Only the constraint's name leaves: the error's detail holds row values.
    GET STACKED DIAGNOSTICS conflict = CONSTRAINT_NAME;
    RETURN jsonb_build_object('written', 0, 'skipped', 0, 'conflict', coalesce(nullif(conflict, ''), 'a unique index'));
  END;
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
  SET LOCAL session_replication_role = replica;
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

-- Writes the source's current state of the rows involved in a unique conflict, all together.
-- p_rows: the source's rows for the keys involved (read in one statement, so one snapshot);
-- p_gone: the keys involved that have no row on the source ({"<pk col>": value, …, "_deleted_at"}).
-- A row the target holds at a newer version than p_rows' copy is kept as it is. When target rows
-- outside these keys still hold a unique value one of the rows needs, nothing is written and
-- {"blockers": [{"<pk col>": "<value as text>", …}, …], "constraint": "<index>"} names them: the worker
-- adds them to the keys and reads the source again. Otherwise the rows involved are deleted and
-- inserted again, in one statement each: {"written": n, "deleted": m}.
CREATE OR REPLACE FUNCTION public.sync_apply_resolve(
  p_schema text, p_table text, p_primary_keys text[], p_version_column text, p_rows json, p_gone jsonb
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rel oid := public.sync_table_oid(p_schema, p_table);
  tbl text := format('%I.%I', p_schema, p_table);
  spec jsonb;
  pk_cols text;
  pk_r text;
  pk_k text;
  pk_text text;
  involved text;
  keep text := 'true';
  w json;
  idx record;
  exprs text;
  blockers jsonb;
  written integer := 0;
  deleted integer := 0;
  insert_cols text;
BEGIN
  SELECT string_agg(format('%I', k), ', '), string_agg(format('r.%I', k), ', '), string_agg(format('k.%I', k), ', '),
         'jsonb_build_object(' || string_agg(format('%L, %I::text', k, k), ', ') || ')'
    INTO pk_cols, pk_r, pk_k, pk_text FROM unnest(p_primary_keys) k;
  -- Every key involved: those of p_rows and of p_gone.
  involved := format('SELECT %1$s FROM json_populate_recordset(NULL::%2$s, $1) AS k UNION ALL '
                     'SELECT %1$s FROM jsonb_populate_recordset(NULL::%2$s, $2) AS k', pk_k, tbl);
  SET LOCAL session_replication_role = replica;
  EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %1$s WHERE (%2$s) IN (%3$s) ORDER BY %2$s FOR UPDATE) AS l',
                 tbl, pk_cols, involved) USING p_rows, coalesce(p_gone, '[]');
  -- The rows to write: p_rows, but for rows the target already holds at a newer version.
  IF p_version_column IS NOT NULL THEN
    keep := format('NOT EXISTS (SELECT 1 FROM %1$s AS t WHERE (%2$s) = (%3$s) AND t.%4$I > r.%4$I)',
                   tbl, (SELECT string_agg(format('t.%I', k), ', ') FROM unnest(p_primary_keys) k), pk_r, p_version_column);
  END IF;
  EXECUTE format('SELECT coalesce(json_agg(e.value), ''[]'') FROM json_array_elements($1) AS e, '
                 'LATERAL json_populate_record(NULL::%s, e.value) AS r WHERE %s', tbl, keep)
    INTO w USING p_rows;
  -- Target rows outside these keys in the way of one of them, index by index.
  FOR idx IN SELECT i.indexrelid, i.indnkeyatts, ic.relname, pg_catalog.pg_get_expr(i.indpred, i.indrelid, true) AS pred
               FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
              WHERE i.indrelid = rel AND i.indisunique AND NOT i.indisprimary AND i.indisvalid
              ORDER BY ic.relname LOOP
    SELECT string_agg(pg_catalog.pg_get_indexdef(idx.indexrelid, g, true), ', ' ORDER BY g) INTO exprs
      FROM generate_series(1, idx.indnkeyatts) AS g;
    -- Unqualified column names in the index expressions: the outer ones are the target's rows, the
    -- inner ones the rows to write.
    EXECUTE format(
      'SELECT jsonb_agg(b.k) FROM (SELECT %1$s AS k FROM %2$s WHERE (%3$s) IN (SELECT %3$s FROM json_populate_recordset(NULL::%2$s, $1) WHERE %4$s) '
      'AND %4$s AND (%5$s) NOT IN (SELECT %6$s FROM json_populate_recordset(NULL::%2$s, $1) AS k) '
      'AND (%5$s) NOT IN (SELECT %6$s FROM jsonb_populate_recordset(NULL::%2$s, $2) AS k) LIMIT 1000) AS b',
      pk_text, tbl, exprs, coalesce(idx.pred, 'true'), pk_cols, pk_k)
      INTO blockers USING w, coalesce(p_gone, '[]');
    IF blockers IS NOT NULL THEN
      RETURN jsonb_build_object('blockers', blockers, 'constraint', idx.relname);
    END IF;
  END LOOP;
  -- Nothing outside is in the way: the keys gone from the source go (with their tombstones), the
  -- rows involved go, and the source's state of them comes back.
  IF p_gone IS NOT NULL AND jsonb_array_length(p_gone) > 0 THEN
    deleted := (public.sync_apply_deletes(p_schema, p_table, p_primary_keys, p_version_column, p_gone) ->> 'deleted')::integer;
  END IF;
  EXECUTE format('DELETE FROM %1$s WHERE (%2$s) IN (SELECT %3$s FROM json_populate_recordset(NULL::%1$s, $1) AS k)',
                 tbl, pk_cols, pk_k) USING w;
  IF json_array_length(w) > 0 THEN
    spec := public.sync_apply_columns(p_schema, p_table, p_primary_keys, w -> 0);
    SELECT string_agg(format('%I', c), ', ') INTO insert_cols FROM jsonb_array_elements_text(spec -> 'cols') c;
    EXECUTE format('INSERT INTO %1$s (%2$s) OVERRIDING SYSTEM VALUE SELECT %2$s FROM json_populate_recordset(NULL::%1$s, $1) ORDER BY %3$s',
                   tbl, insert_cols, pk_cols) USING w;
    GET DIAGNOSTICS written = ROW_COUNT;
  END IF;
  RETURN jsonb_build_object('written', written, 'deleted', deleted);
END $$;

REVOKE ALL ON FUNCTION public.sync_apply_columns(text, text, text[], json) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_apply_upserts(text, text, text[], text, json) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_apply_deletes(text, text, text[], text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_apply_resolve(text, text, text[], text, json, jsonb) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_apply_columns(text, text, text[], json), '
                     'public.sync_apply_upserts(text, text, text[], text, json), '
                     'public.sync_apply_deletes(text, text, text[], text, jsonb), '
                     'public.sync_apply_resolve(text, text, text[], text, json, jsonb) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_apply_upserts(text, text, text[], text, json),
      public.sync_apply_deletes(text, text, text[], text, jsonb),
      public.sync_apply_resolve(text, text, text[], text, json, jsonb)
      TO service_role;
  END IF;
END $$;
