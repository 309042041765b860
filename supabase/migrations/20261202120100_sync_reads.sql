-- supabase-sync: how the worker reads the source's rows. Through these functions rather than the
-- table endpoint of the Data API, so that every table syncs whatever the API exposes: tables in a
-- schema the API does not serve (`private`), and tables without grants to `service_role` (the
-- default for new tables on hosted projects since 2026-10-30). One call is one statement, so the
-- rows it returns are one snapshot of the source; a call returns one JSON value, so the API's row
-- cap (db-max-rows) does not cut it. Values are rendered as the Data API renders them (to_json),
-- with the settings that change a rendering fixed (time zone UTC, bytea hex, exact floats).
-- `row_security = off`: a table whose policies would hide rows from the function's owner fails
-- loudly instead of syncing some of its rows.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

-- Internal: the table's oid, or 42P01 naming it.
CREATE OR REPLACE FUNCTION public.sync_table_oid(p_schema text, p_table text)
RETURNS oid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE rel oid;
BEGIN
  SELECT c.oid INTO rel FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = p_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
  IF rel IS NULL THEN
    RAISE EXCEPTION 'table %.% does not exist', p_schema, p_table
      USING ERRCODE = '42P01', HINT = 'Create it, or fix the name in the tables config.';
  END IF;
  RETURN rel;
END $$;

-- Internal: for columns of a table, `t."c"` terms and `(<json> ->> i)::<type>` casts, checked against the catalog.
--   {"cols": "t.a, t.b", "casts": "($1 ->> 0)::bigint, ($1 ->> 1)::text", "order": "_sync_row.a, _sync_row.b"}
CREATE OR REPLACE FUNCTION public.sync_column_terms(p_schema text, p_table text, p_columns text[], p_json text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rel oid := public.sync_table_oid(p_schema, p_table);
  found integer;
  result jsonb;
BEGIN
  IF p_columns IS NULL OR cardinality(p_columns) = 0 THEN
    RAISE EXCEPTION 'no columns given for %.%', p_schema, p_table USING ERRCODE = '22023';
  END IF;
  -- One catalog query for all the columns (this runs for every page read).
  SELECT count(a.attname),
         jsonb_build_object(
           'cols', string_agg(format('t.%I', c.name), ', ' ORDER BY c.i),
           'casts', string_agg(format('(%s ->> %s)::%s', p_json, c.i - 1, pg_catalog.format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY c.i),
           'order', string_agg(format('_sync_row.%I', c.name), ', ' ORDER BY c.i))
    INTO found, result
    FROM unnest(p_columns) WITH ORDINALITY AS c(name, i)
    LEFT JOIN pg_catalog.pg_attribute a
      ON a.attrelid = rel AND a.attname = c.name AND a.attnum > 0 AND NOT a.attisdropped;
  IF found < cardinality(p_columns) THEN
    RAISE EXCEPTION 'column(s) % do not exist on %.%',
      (SELECT string_agg(c, ', ') FROM unnest(p_columns) c
        WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = rel AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped)),
      p_schema, p_table
      USING ERRCODE = '42703', HINT = 'Fix primaryKeys or incrementalFields in the tables config.';
  END IF;
  RETURN result;
END $$;

-- A page of rows in keyset order on p_order (the version column then the primary key, or the
-- primary key alone), rows whose first p_order column is NULL left out:
--   strictly after p_after (a JSON array of the p_order values of the last row read, as text), or
--   from p_from (inclusive, on the first p_order column) when p_after is null, or from the start.
-- At most p_limit rows (1–10000), one JSON object per row. A set, so the API's row cap
-- (db-max-rows) may return fewer: the caller pages on from the last row it got, as with a table.
DROP FUNCTION IF EXISTS public.sync_read_rows(text, text, text[], jsonb, text, integer);
CREATE FUNCTION public.sync_read_rows(
  p_schema text, p_table text, p_order text[], p_after jsonb, p_from text, p_limit integer
) RETURNS SETOF json
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = '' SET timezone = 'UTC' SET intervalstyle = 'postgres' SET bytea_output = 'hex'
SET extra_float_digits = 1 SET row_security = off AS $$
DECLARE
  terms jsonb := public.sync_column_terms(p_schema, p_table, p_order, '$1');
  first_col text := format('t.%I', p_order[1]);
  cond text;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
    RAISE EXCEPTION 'p_limit must be between 1 and 10000 (got %)', p_limit USING ERRCODE = '22023';
  END IF;
  IF p_after IS NOT NULL AND p_after <> 'null' THEN
    IF jsonb_typeof(p_after) <> 'array' OR jsonb_array_length(p_after) <> cardinality(p_order) THEN
      RAISE EXCEPTION 'p_after must be a JSON array of % values', cardinality(p_order) USING ERRCODE = '22023';
    END IF;
    cond := format('(%s) > (%s)', terms ->> 'cols', terms ->> 'casts');
  ELSIF p_from IS NOT NULL THEN
    cond := format('%s >= %s', first_col,
                   public.sync_column_terms(p_schema, p_table, p_order[1:1], 'jsonb_build_array($2)') ->> 'casts');
  ELSE
    cond := 'true';
  END IF;
  RETURN QUERY EXECUTE format(
    'SELECT to_json(_sync_row) FROM ('
    'SELECT * FROM %1$I.%2$I AS t WHERE %3$s IS NOT NULL AND %4$s ORDER BY %5$s LIMIT $3) AS _sync_row',
    p_schema, p_table, first_col, cond, terms ->> 'cols')
    USING p_after, p_from, p_limit;
END $$;

-- The rows with the given keys (p_keys: a JSON array of objects {"<key column>": value, …} as the
-- API, the ledger or Realtime gives them; at most 10000), in key order, as a JSON array. Keys with
-- no row are left out.
CREATE OR REPLACE FUNCTION public.sync_read_keys(
  p_schema text, p_table text, p_primary_keys text[], p_keys jsonb
) RETURNS json
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = '' SET timezone = 'UTC' SET intervalstyle = 'postgres' SET bytea_output = 'hex'
SET extra_float_digits = 1 SET row_security = off AS $$
DECLARE
  terms jsonb := public.sync_column_terms(p_schema, p_table, p_primary_keys, '$1');
  k_cols text;
  result json;
BEGIN
  IF jsonb_typeof(p_keys) IS DISTINCT FROM 'array' OR jsonb_array_length(p_keys) > 10000 THEN
    RAISE EXCEPTION 'p_keys must be a JSON array of at most 10000 keys' USING ERRCODE = '22023';
  END IF;
  IF jsonb_array_length(p_keys) = 0 THEN RETURN '[]'::json; END IF;
  SELECT string_agg(format('k.%I', c), ', ') INTO k_cols FROM unnest(p_primary_keys) c;
  EXECUTE format(
    'SELECT coalesce(json_agg(_sync_row ORDER BY %1$s), ''[]'') FROM ('
    'SELECT * FROM %2$I.%3$I AS t WHERE (%4$s) IN (SELECT %5$s FROM jsonb_populate_recordset(NULL::%2$I.%3$I, $1) AS k)) AS _sync_row',
    terms ->> 'order', p_schema, p_table, terms ->> 'cols', k_cols)
    INTO result USING p_keys;
  RETURN result;
END $$;

-- Which of the given keys (a JSON array of keys as arrays of text in primary-key order, the form
-- verify uses: [["42"], ["7", "b"]]; at most 10000) have a row: the same form, in key order.
CREATE OR REPLACE FUNCTION public.sync_present_keys(
  p_schema text, p_table text, p_primary_keys text[], p_keys jsonb
) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' SET row_security = off AS $$
DECLARE
  terms jsonb := public.sync_column_terms(p_schema, p_table, p_primary_keys, 'e.value');
  texts text;
  result jsonb;
BEGIN
  IF jsonb_typeof(p_keys) IS DISTINCT FROM 'array' OR jsonb_array_length(p_keys) > 10000 THEN
    RAISE EXCEPTION 'p_keys must be a JSON array of at most 10000 keys' USING ERRCODE = '22023';
  END IF;
  SELECT string_agg(format('t.%I::text', c), ', ') INTO texts FROM unnest(p_primary_keys) c;
  EXECUTE format(
    'SELECT coalesce(jsonb_agg(jsonb_build_array(%1$s) ORDER BY %2$s), ''[]'') FROM %3$I.%4$I AS t '
    'WHERE (%2$s) IN (SELECT %5$s FROM jsonb_array_elements($1) AS e)',
    texts, terms ->> 'cols', p_schema, p_table, terms ->> 'casts')
    INTO result USING p_keys;
  RETURN result;
END $$;

-- Where the source is, cheaply (a few index lookups; the realtime feed asks every few seconds to
-- notice changes Realtime did not deliver): {"version": <the newest value of p_version_column, as
-- the rows render it> | null, "ledger": <the newest unprocessed ledger id of the table> | null}.
CREATE OR REPLACE FUNCTION public.sync_source_position(p_schema text, p_table text, p_version_column text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = '' SET timezone = 'UTC' SET intervalstyle = 'postgres' SET row_security = off AS $$
DECLARE
  version jsonb;
BEGIN
  PERFORM public.sync_table_oid(p_schema, p_table);
  IF p_version_column IS NOT NULL THEN
    PERFORM public.sync_column_terms(p_schema, p_table, ARRAY[p_version_column], '$1');
    EXECUTE format('SELECT to_jsonb(max(t.%1$I)) FROM %2$I.%3$I AS t', p_version_column, p_schema, p_table)
      INTO version;
  END IF;
  RETURN jsonb_build_object(
    'version', version,
    'ledger', (SELECT max(d.id) FROM public.sync_deletions d
                WHERE d.schema_name = p_schema AND d.table_name = p_table AND d.processed_at IS NULL));
END $$;

-- The table's row count (the first copy's total, for progress).
CREATE OR REPLACE FUNCTION public.sync_count_rows(p_schema text, p_table text)
RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' SET row_security = off AS $$
DECLARE n bigint;
BEGIN
  PERFORM public.sync_table_oid(p_schema, p_table);
  EXECUTE format('SELECT count(*) FROM %I.%I', p_schema, p_table) INTO n;
  RETURN n;
END $$;

REVOKE ALL ON FUNCTION public.sync_table_oid(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_column_terms(text, text, text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_read_rows(text, text, text[], jsonb, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_read_keys(text, text, text[], jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_present_keys(text, text, text[], jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_source_position(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_count_rows(text, text) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_table_oid(text, text), '
                     'public.sync_column_terms(text, text, text[], text), '
                     'public.sync_read_rows(text, text, text[], jsonb, text, integer), '
                     'public.sync_read_keys(text, text, text[], jsonb), '
                     'public.sync_present_keys(text, text, text[], jsonb), '
                     'public.sync_source_position(text, text, text), public.sync_count_rows(text, text) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_read_rows(text, text, text[], jsonb, text, integer),
      public.sync_read_keys(text, text, text[], jsonb), public.sync_present_keys(text, text, text[], jsonb),
      public.sync_source_position(text, text, text), public.sync_count_rows(text, text)
      TO service_role;
  END IF;
END $$;
