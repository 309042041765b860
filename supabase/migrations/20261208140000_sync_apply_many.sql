-- supabase-sync: the realtime feeds' writes of many tables in one request (src/activities/apply-batches.ts).
-- A worker of 200 tables under 100 changes/s would otherwise send about 100 upsert requests a second,
-- one per table per change; each pays the API's and the transaction's fixed cost. The worker gathers
-- the feeds' upserts that wait while one such request is in flight and sends them together.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

-- p_calls: a JSON array of {"schema", "table", "primary_keys": [...], "version_column", "rows": [...]},
-- sorted by table by the worker (so two of these calls lock tables in one order and cannot deadlock).
-- Each call is `sync_apply_upserts` (20261202120200) in a subtransaction of its own: one that fails
-- writes nothing and leaves the others written. Returns one element per call: sync_apply_upserts'
-- result, or {"error": "<SQLSTATE>"} (no message: it may hold row values; the worker sends that call
-- again alone, and the single call's error is what it reports). A lock held elsewhere fails its call
-- after 1 s (lock_timeout) rather than holding up the other tables': that call, alone, then waits.
CREATE OR REPLACE FUNCTION public.sync_apply_upserts_many(p_calls json) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '1s' AS $$
DECLARE
  c json;
  r jsonb;
  results jsonb := '[]'::jsonb;
BEGIN
  FOR c IN SELECT e FROM json_array_elements(p_calls) AS e LOOP
    BEGIN
      r := public.sync_apply_upserts(
        c ->> 'schema', c ->> 'table',
        ARRAY(SELECT json_array_elements_text(c -> 'primary_keys')),
        c ->> 'version_column', c -> 'rows');
    EXCEPTION WHEN OTHERS THEN
      r := jsonb_build_object('error', SQLSTATE);
    END;
    results := results || jsonb_build_array(r);
  END LOOP;
  RETURN results;
END $$;

REVOKE ALL ON FUNCTION public.sync_apply_upserts_many(json) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_apply_upserts_many(json) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_apply_upserts_many(json) TO service_role;
  END IF;
END $$;
