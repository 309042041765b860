-- About how many rows a table holds, for the first copy's progress (rows copied of about how many,
-- and the time left): counted exactly up to 100,000 rows (a bounded read: at most 100,001 rows are
-- looked at); above that, as the planner estimates a table's size — the rows per page ANALYZE last
-- saw times the pages the table has now, summed over its partitions — or, for a table never
-- analyzed, from a sample of about 2,000 of its pages. Never a count(*) of a large table (which can
-- outlast the Data API's 60 s). Returns {"rows": n, "exact": true|false}.
CREATE OR REPLACE FUNCTION public.sync_estimate_rows(p_schema text, p_table text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' SET row_security = off AS $$
DECLARE
  rel oid := public.sync_table_oid(p_schema, p_table);
  counted bigint;
  pages numeric;
  per_page numeric;
  unanalyzed boolean;
  pct numeric;
  sampled bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I.%I LIMIT 100001) AS t', p_schema, p_table) INTO counted;
  IF counted <= 100000 THEN
    RETURN jsonb_build_object('rows', counted, 'exact', true);
  END IF;
  SELECT sum(pg_catalog.pg_relation_size(c.oid)) / pg_catalog.current_setting('block_size')::numeric,
         bool_or(c.reltuples < 0 OR c.relpages = 0),
         sum(c.reltuples) / nullif(sum(c.relpages), 0)
    INTO pages, unanalyzed, per_page
    FROM pg_catalog.pg_partition_tree(rel) AS t JOIN pg_catalog.pg_class c ON c.oid = t.relid
   WHERE t.isleaf;
  IF NOT unanalyzed THEN
    RETURN jsonb_build_object('rows', greatest(counted, round(per_page * pages))::bigint, 'exact', false);
  END IF;
  pct := least(100, greatest(0.01, round(200000 / greatest(pages, 1), 4)));
  EXECUTE format('SELECT count(*) FROM %I.%I TABLESAMPLE SYSTEM (%s)', p_schema, p_table, pct) INTO sampled;
  RETURN jsonb_build_object('rows', greatest(counted, round(sampled * 100 / pct))::bigint, 'exact', false);
END $$;

REVOKE ALL ON FUNCTION public.sync_estimate_rows(text, text) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_estimate_rows(text, text) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_estimate_rows(text, text) TO service_role;
  END IF;
END $$;
