-- supabase-sync: delete tracking on tables the `postgres` role does not own. Hosted projects let
-- `postgres` create triggers on auth.users (and auth.identities) but not drop them: DROP TRIGGER
-- needs the table's owner (supabase_auth_admin there), so enabling a table a second time (every
-- start of npm run sync) failed with "must be owner of relation users". The triggers are now
-- created with CREATE OR REPLACE TRIGGER (Postgres 14+), which needs only the TRIGGER privilege.
-- Otherwise as in 20261202120300_sync_ledger_v2.sql.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

CREATE OR REPLACE FUNCTION public.sync_enable_table(
  p_schema text, p_table text, p_primary_keys text[], p_realtime boolean DEFAULT true
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rel oid;
  part record;
  k text;
  trigger_args text;
  old_key text;
  new_key text;
  had_trigger boolean;
  published boolean := false;
  added_to_publication boolean := false;
  granted text[] := '{}';
  partitions integer := 0;
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
  -- The table itself, and every partition below it (statements on a partition fire its own triggers).
  FOR part IN SELECT n.nspname AS s, c.relname AS t, c.relkind AS kind, c.relispartition AS is_part
                FROM pg_catalog.pg_partition_tree(rel) pt JOIN pg_catalog.pg_class c ON c.oid = pt.relid
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              UNION ALL
              SELECT p_schema, p_table, 'r', false WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_partition_tree(rel)) LOOP
    IF part.is_part THEN partitions := partitions + 1; END IF;
    EXECUTE format(
      'CREATE OR REPLACE TRIGGER sync_track_deletes AFTER DELETE ON %I.%I REFERENCING OLD TABLE AS old_rows '
      'FOR EACH STATEMENT EXECUTE FUNCTION public.sync_log_deletions(%s)', part.s, part.t, trigger_args);
    EXECUTE format('CREATE OR REPLACE TRIGGER sync_track_truncates AFTER TRUNCATE ON %I.%I FOR EACH STATEMENT '
                   'EXECUTE FUNCTION public.sync_log_truncate()', part.s, part.t);
  END LOOP;
  -- Row triggers on a partitioned table are cloned to its partitions (and to partitions added later).
  EXECUTE format(
    'CREATE OR REPLACE TRIGGER sync_track_key_changes BEFORE UPDATE ON %I.%I FOR EACH ROW '
    'WHEN ((%s) IS DISTINCT FROM (%s)) EXECUTE FUNCTION public.sync_log_key_change(%s)',
    p_schema, p_table, old_key, new_key, trigger_args);
  IF p_realtime AND EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = 'supabase_realtime') THEN
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel pr WHERE pr.prpubid =
                     (SELECT oid FROM pg_catalog.pg_publication WHERE pubname = 'supabase_realtime') AND pr.prrelid = rel)
      INTO published;
    IF NOT published THEN
      EXECUTE format('ALTER PUBLICATION supabase_realtime ADD TABLE %I.%I', p_schema, p_table);
      added_to_publication := true;
      published := true;
    END IF;
    -- Realtime streams a table only to a subscriber that may SELECT it.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
      IF NOT pg_catalog.has_schema_privilege('service_role', p_schema, 'USAGE') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO service_role', p_schema);
        granted := granted || format('USAGE ON SCHEMA %I', p_schema);
      END IF;
      IF NOT pg_catalog.has_table_privilege('service_role', rel, 'SELECT') THEN
        EXECUTE format('GRANT SELECT ON TABLE %I.%I TO service_role', p_schema, p_table);
        granted := granted || format('SELECT ON %I.%I', p_schema, p_table);
      END IF;
    END IF;
  END IF;
  RETURN jsonb_build_object('trigger', CASE WHEN had_trigger THEN 'kept' ELSE 'created' END,
                            'realtime_publication', CASE WHEN added_to_publication THEN 'added' WHEN published THEN 'kept' ELSE 'not published' END,
                            'grants', to_jsonb(granted), 'partitions', partitions);
END $$;

-- The version of the supabase-sync functions (see 20261202120300_sync_ledger_v2.sql).
CREATE OR REPLACE FUNCTION public.sync_functions_version() RETURNS bigint
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$ SELECT 20261202141410::bigint $$;

REVOKE ALL ON FUNCTION public.sync_enable_table(text, text, text[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_functions_version() FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_enable_table(text, text, text[], boolean), '
                     'public.sync_functions_version() FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_enable_table(text, text, text[], boolean), public.sync_functions_version()
      TO service_role;
  END IF;
END $$;
