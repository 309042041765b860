-- supabase-sync: the deletion ledger. Deletes on a synced table are logged by a trigger into
-- public.sync_deletions; the sync replays them on the target. (The functions the target is written
-- through are in 20251125120000_sync_apply_functions.sql.)
-- Apply every migration in supabase/migrations to BOTH projects (`supabase db push`,
-- `npx supabase-sync migrate --apply`, or `npm run stack`): after a failover the backup is the source.
-- Idempotent: safe to run again. Everything here is for `service_role` only.

CREATE TABLE IF NOT EXISTS public.sync_deletions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  primary_key jsonb NOT NULL,
  -- clock_timestamp(): the moment of the delete, after any update it saw committed (a deleting
  -- transaction that began before that update committed must still come out newer than it).
  deleted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  processed_at timestamptz
);
-- Replay reads the unprocessed entries of one table in id order. Entries are selected by
-- `processed_at IS NULL`, never by "id greater than the last one seen", so an entry whose
-- transaction commits after a later id (concurrent deletes) is still replayed.
CREATE INDEX IF NOT EXISTS sync_deletions_pending_idx
  ON public.sync_deletions (schema_name, table_name, id) WHERE processed_at IS NULL;
CREATE INDEX IF NOT EXISTS sync_deletions_processed_idx
  ON public.sync_deletions (processed_at) WHERE processed_at IS NOT NULL;
ALTER TABLE public.sync_deletions ENABLE ROW LEVEL SECURITY;

-- Statement-level trigger: one INSERT … SELECT per DELETE statement, however many rows it removes.
-- TG_ARGV holds the primary-key column names.
CREATE OR REPLACE FUNCTION public.sync_log_deletions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO public.sync_deletions (schema_name, table_name, primary_key)
  SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME,
         (SELECT jsonb_object_agg(k, to_jsonb(o) -> k) FROM unnest(TG_ARGV) AS k)
  FROM old_rows AS o;
  RETURN NULL;
END $$;

-- Row-level, fired only when an UPDATE changes the primary key (see the WHEN clause the enabling
-- function writes): the old key is gone from the source, so it is logged like a delete.
CREATE OR REPLACE FUNCTION public.sync_log_key_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO public.sync_deletions (schema_name, table_name, primary_key)
  SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, (SELECT jsonb_object_agg(k, to_jsonb(OLD) -> k) FROM unnest(TG_ARGV) AS k);
  RETURN NULL;
END $$;

-- Enables delete tracking for one table (and, when asked, adds it to the supabase_realtime
-- publication so Realtime streams it). Idempotent. Returns what it did, for the worker's log.
CREATE OR REPLACE FUNCTION public.sync_enable_table(
  p_schema text, p_table text, p_primary_keys text[], p_realtime boolean DEFAULT true
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rel regclass;
  k text;
  trigger_args text;
  old_key text;
  new_key text;
  had_trigger boolean;
  published boolean := false;
  added_to_publication boolean := false;
BEGIN
  SELECT c.oid INTO rel FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = p_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
  IF rel IS NULL THEN
    RAISE EXCEPTION 'table %.% does not exist', p_schema, p_table
      USING ERRCODE = '42P01', HINT = 'Create the table (same columns on both projects) or fix the name in the tables config.';
  END IF;
  IF p_primary_keys IS NULL OR cardinality(p_primary_keys) = 0 THEN
    RAISE EXCEPTION 'no primary key columns given for %.%', p_schema, p_table USING ERRCODE = '22023';
  END IF;
  FOREACH k IN ARRAY p_primary_keys LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = rel AND attname = k AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'column % does not exist on %.%', k, p_schema, p_table
        USING ERRCODE = '42703', HINT = 'Fix primaryKeys in the tables config.';
    END IF;
  END LOOP;
  SELECT string_agg(quote_literal(x), ', '), string_agg(format('OLD.%I', x), ', '), string_agg(format('NEW.%I', x), ', ')
    INTO trigger_args, old_key, new_key FROM unnest(p_primary_keys) AS x;
  SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = rel AND tgname = 'sync_track_deletes') INTO had_trigger;
  EXECUTE format('DROP TRIGGER IF EXISTS sync_track_deletes ON %I.%I', p_schema, p_table);
  EXECUTE format(
    'CREATE TRIGGER sync_track_deletes AFTER DELETE ON %I.%I REFERENCING OLD TABLE AS old_rows '
    'FOR EACH STATEMENT EXECUTE FUNCTION public.sync_log_deletions(%s)', p_schema, p_table, trigger_args);
  EXECUTE format('DROP TRIGGER IF EXISTS sync_track_key_changes ON %I.%I', p_schema, p_table);
  EXECUTE format(
    'CREATE TRIGGER sync_track_key_changes AFTER UPDATE ON %I.%I FOR EACH ROW '
    'WHEN ((%s) IS DISTINCT FROM (%s)) EXECUTE FUNCTION public.sync_log_key_change(%s)',
    p_schema, p_table, old_key, new_key, trigger_args);
  IF p_realtime AND EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = 'supabase_realtime') THEN
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables
                   WHERE pubname = 'supabase_realtime' AND schemaname = p_schema AND tablename = p_table) INTO published;
    IF NOT published THEN
      EXECUTE format('ALTER PUBLICATION supabase_realtime ADD TABLE %I.%I', p_schema, p_table);
      added_to_publication := true;
      published := true;
    END IF;
  END IF;
  RETURN jsonb_build_object('trigger', CASE WHEN had_trigger THEN 'kept' ELSE 'created' END,
                            'realtime_publication', CASE WHEN added_to_publication THEN 'added' WHEN published THEN 'kept' ELSE 'not published' END);
END $$;

-- Columns of type numeric / numeric[] without a declared scale (Realtime's JSON numbers drop their
-- scale, e.g. 1.50 → 1.5; the worker re-reads such rows over REST, where the text is exact).
CREATE OR REPLACE FUNCTION public.sync_unscaled_numeric_columns(p_schema text, p_table text) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}')
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = p_schema AND c.relname = p_table AND a.attnum > 0 AND NOT a.attisdropped
     AND a.atttypid IN ('pg_catalog.numeric'::pg_catalog.regtype, 'pg_catalog._numeric'::pg_catalog.regtype)
     AND a.atttypmod = -1
$$;

-- Marks replayed ledger entries processed (and forgets entries processed over a week ago).
CREATE OR REPLACE FUNCTION public.sync_mark_deletions_processed(p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE n integer;
BEGIN
  UPDATE public.sync_deletions SET processed_at = now() WHERE id = ANY (p_ids) AND processed_at IS NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  DELETE FROM public.sync_deletions WHERE processed_at < now() - interval '7 days';
  RETURN n;
END $$;

-- Only service_role may read the ledger or call these functions.
REVOKE ALL ON TABLE public.sync_deletions FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    REVOKE ALL ON TABLE public.sync_deletions FROM anon;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE ALL ON TABLE public.sync_deletions FROM authenticated;
  END IF;
END $$;
REVOKE ALL ON FUNCTION public.sync_log_deletions() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_log_key_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_enable_table(text, text, text[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_mark_deletions_processed(bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_unscaled_numeric_columns(text, text) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_log_deletions(), public.sync_log_key_change(), public.sync_enable_table(text, text, text[], boolean), '
                     'public.sync_mark_deletions_processed(bigint[]), public.sync_unscaled_numeric_columns(text, text) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT SELECT, UPDATE ON TABLE public.sync_deletions TO service_role;
    GRANT EXECUTE ON FUNCTION public.sync_enable_table(text, text, text[], boolean), public.sync_mark_deletions_processed(bigint[]),
      public.sync_unscaled_numeric_columns(text, text)
      TO service_role;
  END IF;
END $$;
