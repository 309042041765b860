-- supabase-sync: the deletion ledger, second version (20251120120000_create_sync_deletions_table.sql
-- created it). What it adds:
-- - TRUNCATE is logged: a statement trigger writes one entry of kind 'truncate' (no key); replay
--   then removes from the target every row the source no longer has, keeping rows written after
--   the truncate. (Realtime never emits TRUNCATE, and a row-level delete trigger does not see it.)
-- - Partitioned tables: the triggers go on the table and on each of its partitions (a statement on a
--   partition fires only the partition's triggers), and every entry is logged under the partitioned
--   table's name (the name the sync knows the table by). A key change is caught BEFORE the UPDATE,
--   which also sees a row moving to another partition.
-- - Realtime needs `service_role` to be able to SELECT a table (and USAGE on its schema) to stream
--   it; new tables on hosted projects get no grants since 2026-10-30. When asked to publish a table,
--   sync_enable_table grants exactly that and says so.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

ALTER TABLE public.sync_deletions ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'delete';

-- Internal: the schema and name a trigger's table is synced under (its partition root, if any).
CREATE OR REPLACE FUNCTION public.sync_synced_name(p_rel oid, OUT schema_name text, OUT table_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = coalesce(pg_catalog.pg_partition_root(p_rel), p_rel)
$$;

-- Statement-level: one INSERT … SELECT per DELETE statement, however many rows it removes.
-- TG_ARGV holds the primary-key column names.
CREATE OR REPLACE FUNCTION public.sync_log_deletions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE s text; t text;
BEGIN
  SELECT n.schema_name, n.table_name INTO s, t FROM public.sync_synced_name(TG_RELID) n;
  INSERT INTO public.sync_deletions (schema_name, table_name, primary_key)
  SELECT s, t, (SELECT jsonb_object_agg(k, to_jsonb(o) -> k) FROM unnest(TG_ARGV) AS k)
  FROM old_rows AS o;
  RETURN NULL;
END $$;

-- Row-level BEFORE UPDATE, fired only when an UPDATE changes the primary key (see the WHEN clause
-- the enabling function writes): the old key is gone from the source, so it is logged like a
-- delete. BEFORE, not AFTER: an UPDATE that moves a row to another partition fires no AFTER UPDATE
-- row trigger. Should another trigger then skip the update, replay finds the key still on the
-- source and deletes nothing.
CREATE OR REPLACE FUNCTION public.sync_log_key_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE s text; t text;
BEGIN
  SELECT n.schema_name, n.table_name INTO s, t FROM public.sync_synced_name(TG_RELID) n;
  INSERT INTO public.sync_deletions (schema_name, table_name, primary_key)
  SELECT s, t, (SELECT jsonb_object_agg(k, to_jsonb(OLD) -> k) FROM unnest(TG_ARGV) AS k);
  RETURN NEW;
END $$;

-- Statement-level AFTER TRUNCATE: one entry without a key (a TRUNCATE of a partitioned table fires
-- it on the table and on each partition: replaying it more than once changes nothing).
CREATE OR REPLACE FUNCTION public.sync_log_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE s text; t text;
BEGIN
  SELECT n.schema_name, n.table_name INTO s, t FROM public.sync_synced_name(TG_RELID) n;
  INSERT INTO public.sync_deletions (schema_name, table_name, primary_key, kind) VALUES (s, t, '{}', 'truncate');
  RETURN NULL;
END $$;

-- Enables delete and truncate tracking for one table (and its partitions) and, when asked, adds it
-- to the supabase_realtime publication with the grants Realtime needs. Idempotent. Returns what it
-- did, for the worker's log: {"trigger": "created"|"kept", "realtime_publication": "added"|"kept"|
-- "not published", "grants": [what it granted], "partitions": n}.
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
    EXECUTE format('DROP TRIGGER IF EXISTS sync_track_deletes ON %I.%I', part.s, part.t);
    EXECUTE format(
      'CREATE TRIGGER sync_track_deletes AFTER DELETE ON %I.%I REFERENCING OLD TABLE AS old_rows '
      'FOR EACH STATEMENT EXECUTE FUNCTION public.sync_log_deletions(%s)', part.s, part.t, trigger_args);
    EXECUTE format('DROP TRIGGER IF EXISTS sync_track_truncates ON %I.%I', part.s, part.t);
    EXECUTE format('CREATE TRIGGER sync_track_truncates AFTER TRUNCATE ON %I.%I FOR EACH STATEMENT '
                   'EXECUTE FUNCTION public.sync_log_truncate()', part.s, part.t);
  END LOOP;
  -- Row triggers on a partitioned table are cloned to its partitions (and to partitions added later).
  EXECUTE format('DROP TRIGGER IF EXISTS sync_track_key_changes ON %I.%I', p_schema, p_table);
  EXECUTE format(
    'CREATE TRIGGER sync_track_key_changes BEFORE UPDATE ON %I.%I FOR EACH ROW '
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

-- The unprocessed ledger entries of one table, oldest first, at most p_limit:
-- [{"id", "primary_key", "deleted_at", "kind"}]. (Selected by "not processed yet", never by "ids
-- after the last one": an entry whose transaction committed out of id order is still replayed.)
CREATE OR REPLACE FUNCTION public.sync_pending_deletions(p_schema text, p_table text, p_limit integer)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' SET timezone = 'UTC' AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id::text, 'primary_key', d.primary_key,
                                               'deleted_at', d.deleted_at, 'kind', d.kind) ORDER BY d.id), '[]')
    FROM (SELECT * FROM public.sync_deletions
           WHERE schema_name = p_schema AND table_name = p_table AND processed_at IS NULL
           ORDER BY id LIMIT greatest(1, least(p_limit, 10000))) AS d
$$;

-- The version of the supabase-sync functions a project has: the newest migration that defines it.
-- The worker checks it at start and names the migration to apply when a project is behind.
CREATE OR REPLACE FUNCTION public.sync_functions_version() RETURNS bigint
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$ SELECT 20261202120300::bigint $$;

REVOKE ALL ON FUNCTION public.sync_synced_name(oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_log_deletions() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_log_key_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_log_truncate() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_enable_table(text, text, text[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_pending_deletions(text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_functions_version() FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_synced_name(oid), public.sync_log_truncate(), '
                     'public.sync_pending_deletions(text, text, integer) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_pending_deletions(text, text, integer), public.sync_functions_version() TO service_role;
  END IF;
END $$;
