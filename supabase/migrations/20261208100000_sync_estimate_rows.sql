-- About how many rows a table holds, for the first copy's progress (rows copied of about how many,
-- and the time left): counted exactly up to 100,000 rows (a bounded read: at most 100,001 rows are
-- looked at), else the planner's estimate, which is pg_class.reltuples scaled to the table's current
-- size and summed over its partitions, and costs nothing on any size (a count(*) of a large table
-- can outlast the Data API's 60 s). Returns {"rows": n, "exact": true|false}. VOLATILE only
-- because EXPLAIN is not allowed in a STABLE function; it changes nothing.
CREATE OR REPLACE FUNCTION public.sync_estimate_rows(p_schema text, p_table text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' SET row_security = off AS $$
DECLARE
  counted bigint;
  plan json;
  planned numeric;
BEGIN
  PERFORM public.sync_table_oid(p_schema, p_table);
  EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I.%I LIMIT 100001) AS t', p_schema, p_table) INTO counted;
  IF counted <= 100000 THEN
    RETURN jsonb_build_object('rows', counted, 'exact', true);
  END IF;
  EXECUTE format('EXPLAIN (FORMAT JSON) SELECT 1 FROM %I.%I', p_schema, p_table) INTO plan;
  planned := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric;
  RETURN jsonb_build_object('rows', greatest(counted, coalesce(planned, 0))::bigint, 'exact', false);
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
