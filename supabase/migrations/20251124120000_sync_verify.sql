-- supabase-sync: `verify` — compare a table on the source and the target without moving it: row
-- counts and checksums over primary-key ranges, narrowed down to the keys that differ.
-- Apply every migration in supabase/migrations to BOTH projects; these functions call
-- public.sync_table_columns (20251125120000_sync_apply_functions.sql) when they run.
-- Idempotent: safe to run again. Everything here is for `service_role` only.
--
-- Keys travel as JSON arrays of TEXT, in primary-key order (["42"], ["7", "b"]): exact for int8 and
-- numeric (no JSON-number rounding in JavaScript), cast back to each column's type here.
-- A row's checksum is hashtextextended(to_jsonb(row)::text, 0) (64 bits): every column, by name
-- (jsonb sorts the keys, so column order does not matter). The functions fix the settings that change
-- how a value is rendered (TimeZone, DateStyle, IntervalStyle, extra_float_digits, bytea_output), so
-- equal rows render identically on both databases. A range's checksum is the sum of its rows'
-- checksums (order-independent), compared together with its row count.
-- Ranges are (after, until] in the key order of the primary-key index, i.e. in each database's
-- collation for text keys: both projects must use the same collation for text key columns.

-- Internal: the key columns of a table (checked against the catalog) as SQL fragments.
--   cols:   (t."a", t."b")
--   order:  t."a", t."b"
--   json:   jsonb_build_array(t."a"::text, t."b"::text)
--   alias:  t."a" AS k0, t."b" AS k1            (to carry the key out of a subquery)
--   kjson:  jsonb_build_array(k0::text, k1::text)
--   values: ((<expr> ->> 0)::integer, (<expr> ->> 1)::text)    with <expr> replaced by the caller
CREATE OR REPLACE FUNCTION public.sync_verify_key_sql(p_schema text, p_table text, p_primary_keys text[])
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rel oid;
  k text;
  typ text;
  n integer := 0;
  cols text[] := '{}';
  json text[] := '{}';
  vals text[] := '{}';
  alias text[] := '{}';
  kjson text[] := '{}';
BEGIN
  IF p_primary_keys IS NULL OR cardinality(p_primary_keys) = 0 THEN
    RAISE EXCEPTION 'no primary key columns given for %.%', p_schema, p_table USING ERRCODE = '22023';
  END IF;
  -- Raises 42P01 for a missing table.
  PERFORM public.sync_table_columns(p_schema, p_table, p_primary_keys);
  SELECT c.oid INTO rel FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
   WHERE ns.nspname = p_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
  FOREACH k IN ARRAY p_primary_keys LOOP
    SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO typ FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = rel AND a.attname = k AND a.attnum > 0 AND NOT a.attisdropped;
    IF typ IS NULL THEN
      RAISE EXCEPTION 'column % does not exist on %.%', k, p_schema, p_table
        USING ERRCODE = '42703', HINT = 'Fix primaryKeys in the tables config.';
    END IF;
    cols := cols || format('t.%I', k);
    json := json || format('t.%I::text', k);
    vals := vals || format('(<expr> ->> %s)::%s', n, typ);
    alias := alias || format('t.%I AS k%s', k, n);
    kjson := kjson || format('k%s::text', n);
    n := n + 1;
  END LOOP;
  RETURN jsonb_build_object(
    'cols', '(' || array_to_string(cols, ', ') || ')',
    'order', array_to_string(cols, ', '),
    'json', 'jsonb_build_array(' || array_to_string(json, ', ') || ')',
    'alias', array_to_string(alias, ', '),
    'kjson', 'jsonb_build_array(' || array_to_string(kjson, ', ') || ')',
    'values', '(' || array_to_string(vals, ', ') || ')');
END $$;

-- Internal: "<after> AND <until>" for the range (after, until]; a NULL (or JSON null) bound is open.
CREATE OR REPLACE FUNCTION public.sync_verify_range_sql(p_key jsonb, p_after_expr text, p_after_open boolean,
                                                        p_until_expr text, p_until_open boolean)
RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$
  SELECT CASE WHEN p_after_open THEN 'true'
              ELSE format('%s > %s', p_key ->> 'cols', replace(p_key ->> 'values', '<expr>', p_after_expr)) END
         || ' AND ' ||
         CASE WHEN p_until_open THEN 'true'
              ELSE format('%s <= %s', p_key ->> 'cols', replace(p_key ->> 'values', '<expr>', p_until_expr)) END
$$;

-- Summary of the rows with keys in (p_after, p_until], cut into at most p_buckets buckets of (nearly)
-- equal row counts in key order, each of at least p_min_bucket_rows rows (but the last). Returns a JSON array, one object per non-empty bucket:
--   {"first": [key], "last": [key], "rows": n, "hash": "<sum of row checksums>"}
-- One count and one ordered scan of the range (an index range scan on the primary key).
CREATE OR REPLACE FUNCTION public.sync_range_summary(
  p_schema text, p_table text, p_primary_keys text[], p_after jsonb, p_until jsonb, p_buckets integer,
  p_min_bucket_rows integer DEFAULT 1
) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = '' SET timezone = 'UTC' SET datestyle = 'ISO, MDY' SET intervalstyle = 'postgres'
SET extra_float_digits = 1 SET bytea_output = 'hex' AS $$
DECLARE
  ks jsonb := public.sync_verify_key_sql(p_schema, p_table, p_primary_keys);
  range_sql text;
  total bigint;
  size bigint;
  result jsonb;
BEGIN
  IF p_buckets IS NULL OR p_buckets < 1 OR p_buckets > 10000 THEN
    RAISE EXCEPTION 'p_buckets must be between 1 and 10000 (got %)', p_buckets USING ERRCODE = '22023';
  END IF;
  range_sql := public.sync_verify_range_sql(ks, '$1', p_after IS NULL OR p_after = 'null',
                                            '$2', p_until IS NULL OR p_until = 'null');
  EXECUTE format('SELECT count(*) FROM %I.%I AS t WHERE %s', p_schema, p_table, range_sql)
    INTO total USING p_after, p_until;
  IF total = 0 THEN RETURN '[]'::jsonb; END IF;
  size := greatest((total + p_buckets - 1) / p_buckets, coalesce(p_min_bucket_rows, 1), 1);
  -- The key is turned into JSON only for each bucket's first and last row (FILTER is checked first).
  EXECUTE format(
    'SELECT coalesce(jsonb_agg(jsonb_build_object(''first'', f, ''last'', l, ''rows'', c, ''hash'', h::text) ORDER BY b), ''[]'') '
    'FROM (SELECT (rn - 1) / $3 AS b, count(*) AS c, sum(h) AS h, '
    '             (array_agg(%3$s) FILTER (WHERE (rn - 1) %% $3 = 0))[1] AS f, '
    '             (array_agg(%3$s) FILTER (WHERE rn %% $3 = 0 OR rn = $4))[1] AS l '
    '        FROM (SELECT %4$s, hashtextextended(to_jsonb(t)::text, 0) AS h, '
    '                     row_number() OVER (ORDER BY %5$s) AS rn '
    '                FROM %1$I.%2$I AS t WHERE %6$s) AS numbered '
    '       GROUP BY 1) AS buckets',
    p_schema, p_table, ks ->> 'kjson', ks ->> 'alias', ks ->> 'order', range_sql)
    INTO result USING p_after, p_until, size, total;
  RETURN result;
END $$;

-- Row count and checksum of consecutive ranges given by their upper bounds: (p_after, b1], (b1, b2],
-- …; a JSON null as the last bound means "to the end of the table". Used on the other side with the
-- bounds one side's sync_range_summary returned, so both sides are compared over exactly the same
-- ranges. Returns a JSON array of {"rows": n, "hash": "<sum>"}, one per bound. The closed ranges are
-- one statement (one index range scan per range, as a lateral join); an open first or last range is
-- one more statement each.
CREATE OR REPLACE FUNCTION public.sync_range_hashes(
  p_schema text, p_table text, p_primary_keys text[], p_after jsonb, p_bounds jsonb
) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = '' SET timezone = 'UTC' SET datestyle = 'ISO, MDY' SET intervalstyle = 'postgres'
SET extra_float_digits = 1 SET bytea_output = 'hex' AS $$
DECLARE
  ks jsonb := public.sync_verify_key_sql(p_schema, p_table, p_primary_keys);
  ranges jsonb;
  r record;
  c bigint;
  h numeric;
  found jsonb;
BEGIN
  IF jsonb_typeof(p_bounds) IS DISTINCT FROM 'array' OR jsonb_array_length(p_bounds) > 10000 THEN
    RAISE EXCEPTION 'p_bounds must be a JSON array of at most 10000 keys' USING ERRCODE = '22023';
  END IF;
  -- [{"i": 1, "lo": key|null, "hi": key|null}, …]
  SELECT coalesce(jsonb_agg(jsonb_build_object('i', i, 'lo', lo, 'hi', hi) ORDER BY i), '[]') INTO ranges
    FROM (SELECT i, nullif(v, 'null') AS hi,
                 CASE WHEN i = 1 THEN nullif(p_after, 'null') ELSE nullif(lag(v) OVER (ORDER BY i), 'null') END AS lo
            FROM jsonb_array_elements(p_bounds) WITH ORDINALITY AS e(v, i)) AS b;
  EXECUTE format(
    'SELECT coalesce(jsonb_object_agg(r.i::text, jsonb_build_object(''rows'', s.c, ''hash'', s.h::text)), ''{}'') '
    'FROM jsonb_to_recordset($1) AS r(i integer, lo jsonb, hi jsonb) '
    'CROSS JOIN LATERAL (SELECT count(*) AS c, coalesce(sum(hashtextextended(to_jsonb(t)::text, 0)), 0) AS h '
    '                      FROM %I.%I AS t WHERE %s) AS s '
    'WHERE r.lo IS NOT NULL AND r.hi IS NOT NULL',
    p_schema, p_table, public.sync_verify_range_sql(ks, 'r.lo', false, 'r.hi', false))
    INTO found USING ranges;
  FOR r IN SELECT x.i, x.lo, x.hi FROM jsonb_to_recordset(ranges) AS x(i integer, lo jsonb, hi jsonb)
            WHERE x.lo IS NULL OR x.hi IS NULL LOOP
    EXECUTE format('SELECT count(*), coalesce(sum(hashtextextended(to_jsonb(t)::text, 0)), 0) FROM %I.%I AS t WHERE %s',
                   p_schema, p_table, public.sync_verify_range_sql(ks, '$1', r.lo IS NULL, '$2', r.hi IS NULL))
      INTO c, h USING r.lo, r.hi;
    found := found || jsonb_build_object(r.i::text, jsonb_build_object('rows', c, 'hash', h::text));
  END LOOP;
  RETURN (SELECT coalesce(jsonb_agg(found -> (i::text) ORDER BY i), '[]')
            FROM generate_series(1, jsonb_array_length(p_bounds)) AS i);
END $$;

-- The keys and row checksums of the rows in (p_after, p_until], in key order, at most p_limit:
-- a JSON array of [[key], "<checksum>"]. For the small ranges the comparison narrows down to.
CREATE OR REPLACE FUNCTION public.sync_range_rows(
  p_schema text, p_table text, p_primary_keys text[], p_after jsonb, p_until jsonb, p_limit integer
) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = '' SET timezone = 'UTC' SET datestyle = 'ISO, MDY' SET intervalstyle = 'postgres'
SET extra_float_digits = 1 SET bytea_output = 'hex' AS $$
DECLARE
  ks jsonb := public.sync_verify_key_sql(p_schema, p_table, p_primary_keys);
  result jsonb;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 100000 THEN
    RAISE EXCEPTION 'p_limit must be between 1 and 100000 (got %)', p_limit USING ERRCODE = '22023';
  END IF;
  EXECUTE format(
    'SELECT coalesce(jsonb_agg(jsonb_build_array(k, h::text) ORDER BY n), ''[]'') FROM ('
    'SELECT %3$s AS k, hashtextextended(to_jsonb(t)::text, 0) AS h, row_number() OVER (ORDER BY %4$s) AS n '
    'FROM %1$I.%2$I AS t WHERE %5$s ORDER BY %4$s LIMIT $3) AS s',
    p_schema, p_table, ks ->> 'json', ks ->> 'order',
    public.sync_verify_range_sql(ks, '$1', p_after IS NULL OR p_after = 'null', '$2', p_until IS NULL OR p_until = 'null'))
    INTO result USING p_after, p_until, p_limit;
  RETURN result;
END $$;

-- Only service_role may call these functions.
REVOKE ALL ON FUNCTION public.sync_verify_key_sql(text, text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_verify_range_sql(jsonb, text, boolean, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_range_summary(text, text, text[], jsonb, jsonb, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_range_hashes(text, text, text[], jsonb, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_range_rows(text, text, text[], jsonb, jsonb, integer) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_verify_key_sql(text, text, text[]), '
                     'public.sync_verify_range_sql(jsonb, text, boolean, text, boolean), '
                     'public.sync_range_summary(text, text, text[], jsonb, jsonb, integer, integer), '
                     'public.sync_range_hashes(text, text, text[], jsonb, jsonb), '
                     'public.sync_range_rows(text, text, text[], jsonb, jsonb, integer) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_range_summary(text, text, text[], jsonb, jsonb, integer, integer),
      public.sync_range_hashes(text, text, text[], jsonb, jsonb),
      public.sync_range_rows(text, text, text[], jsonb, jsonb, integer)
      TO service_role;
  END IF;
END $$;
