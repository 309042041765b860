-- supabase-sync: the change log, for tables without a version column. A realtime feed heals what
-- Realtime dropped (over the plan's message quota) by asking the source which rows changed since a
-- version; a table with no version column cannot answer that. For such a table (and only while it
-- has a feed) two statement-level triggers log the keys of the rows each INSERT or UPDATE wrote
-- into public.sync_changes, in the same transaction as the change. The feed reads the entries its
-- checks are due for, writes the current source rows of their keys to the target (a row the target
-- already holds equal is skipped there), and forgets the entries it handled, by id: an entry whose
-- transaction committed after a later id is still there at the next check. Exact, without clocks.
-- Deletes and TRUNCATE are in the deletion ledger already (20261202120300_sync_ledger_v2.sql).
--
-- The log is UNLOGGED (no WAL: about half the cost of a logged insert on the source's writes); a
-- crash of the source's database empties it, and what it held is then found by the next
-- reconciliation pass, as it was before this log existed.
--
-- Each position (sync_source_position) also says the database's clock (`db_ms`), so that the feed's
-- windows and lags are measured on the database's clock, never the worker host's.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

CREATE UNLOGGED TABLE IF NOT EXISTS public.sync_changes (
  id bigint GENERATED ALWAYS AS IDENTITY,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  -- The keys the statement wrote, column by column: {"<key column>": [value, …], …} (one array per
  -- column: aggregating a column is about three times cheaper than building an object per row).
  keys jsonb NOT NULL
);
-- The one index (each insert maintains it): the feed reads and forgets one table's entries by id.
CREATE INDEX IF NOT EXISTS sync_changes_table_idx ON public.sync_changes (schema_name, table_name, id);
ALTER TABLE public.sync_changes ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE public.sync_changes FROM PUBLIC;

-- Turns the change log of one table (and of its partitions) on or off; touches the table only when
-- that changes something (creating a trigger takes a lock that waits for the table's writers).
-- Returns 'created', 'kept', 'removed' or 'none'.
--
-- What logs: a trigger function written for the table (public.sync_log_changes_<hash of its name>),
-- run by two statement-level triggers, AFTER INSERT and AFTER UPDATE, with the statement's new rows
-- as `new_rows`. It writes ONE entry per statement, holding the keys of all its rows (a 500-row
-- statement costs one insert into the log, not 500), and reads only the key columns. Its SQL names
-- them, so it is planned once per session, not at every statement as a generic function's dynamic
-- SQL would be. A partition's statements log under the partitioned table's name.
CREATE OR REPLACE FUNCTION public.sync_track_changes(p_schema text, p_table text, p_primary_keys text[], p_on boolean)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rel oid := public.sync_table_oid(p_schema, p_table);
  fn text := 'sync_log_changes_' || left(md5(p_schema || '.' || p_table), 16);
  body text;
  part record;
  had boolean;
  ev text;
BEGIN
  IF p_on AND (p_primary_keys IS NULL OR cardinality(p_primary_keys) = 0) THEN
    RAISE EXCEPTION 'no primary key columns given for %.%', p_schema, p_table USING ERRCODE = '22023';
  END IF;
  IF p_on THEN
    -- (Re)written when the key columns changed: a function needs no lock on the table.
    body := format('BEGIN INSERT INTO public.sync_changes (schema_name, table_name, keys) '
                   'SELECT %L, %L, jsonb_build_object(%s) FROM new_rows AS n HAVING count(*) > 0; RETURN NULL; END',
                   p_schema, p_table,
                   (SELECT string_agg(format('%L, to_jsonb(array_agg(n.%I))', k, k), ', ') FROM unnest(p_primary_keys) AS k));
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'public'::regnamespace
                     AND p.proname = fn AND p.prosrc = body) THEN
      EXECUTE format('CREATE OR REPLACE FUNCTION public.%I() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER '
                     'SET search_path = '''' AS %L', fn, body);
      EXECUTE format('REVOKE ALL ON FUNCTION public.%I() FROM PUBLIC', fn);
      -- Hosted projects' default privileges grant new functions to the API roles.
      FOR ev IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname IN ('anon', 'authenticated') LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION public.%I() FROM %I', fn, ev);
      END LOOP;
    END IF;
  END IF;
  -- On: triggers that run this name's function (a renamed table's run its old name's: written again).
  SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = rel AND t.tgname = 'sync_track_inserts'
                   AND (NOT p_on OR t.tgfoid = pg_catalog.to_regprocedure(format('public.%I()', fn)))) INTO had;
  IF had = p_on THEN
    RETURN CASE WHEN p_on THEN 'kept' ELSE 'none' END;
  END IF;
  -- The table itself, and every partition below it (statements on a partition fire its own triggers).
  FOR part IN SELECT n.nspname AS s, c.relname AS t
                FROM pg_catalog.pg_partition_tree(rel) pt JOIN pg_catalog.pg_class c ON c.oid = pt.relid
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              UNION ALL
              SELECT p_schema, p_table WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_partition_tree(rel)) LOOP
    FOREACH ev IN ARRAY ARRAY['insert', 'update'] LOOP
      IF p_on THEN
        EXECUTE format('CREATE OR REPLACE TRIGGER sync_track_%ss AFTER %s ON %I.%I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION public.%I()', ev, upper(ev), part.s, part.t, fn);
      ELSE
        EXECUTE format('DROP TRIGGER IF EXISTS sync_track_%ss ON %I.%I', ev, part.s, part.t);
      END IF;
    END LOOP;
  END LOOP;
  IF NOT p_on THEN
    EXECUTE format('DROP FUNCTION IF EXISTS public.%I()', fn);
    DELETE FROM public.sync_changes WHERE schema_name = p_schema AND table_name = p_table;
  END IF;
  -- The functions no trigger runs any more (a renamed table's old one), and what they logged.
  FOR part IN SELECT p.oid::pg_catalog.regprocedure AS f FROM pg_catalog.pg_proc p
               WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'sync\_log\_changes\_%'
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgfoid = p.oid) LOOP
    EXECUTE format('DROP FUNCTION %s', part.f);
    DELETE FROM public.sync_changes c
     WHERE pg_catalog.to_regclass(format('%I.%I', c.schema_name, c.table_name)) IS NULL;
  END LOOP;
  RETURN CASE WHEN p_on THEN 'created' ELSE 'removed' END;
END $$;

-- The log's entries of one table up to id p_upto, oldest first, as many as hold p_limit keys
-- (1–10000; at least one entry, however many keys it holds): [[<id>, {"<column>": [value, …]}], …].
CREATE OR REPLACE FUNCTION public.sync_read_changes(p_schema text, p_table text, p_upto bigint, p_limit integer)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_array(c.id::text, c.keys) ORDER BY c.id), '[]')
    FROM (SELECT id, keys FROM (
            SELECT l.id, l.keys, sum(n.keys) OVER (ORDER BY l.id) - n.keys AS before
              FROM public.sync_changes AS l,
                   LATERAL (SELECT jsonb_array_length(v) AS keys FROM jsonb_each(l.keys) AS e (k, v) LIMIT 1) AS n
             WHERE l.schema_name = p_schema AND l.table_name = p_table AND l.id <= p_upto) AS e
           WHERE before < greatest(1, least(p_limit, 10000))) AS c
$$;

-- Forgets handled entries: those whose ids are given, and every entry up to p_upto (the entries a
-- newly live feed leaves to its catch-up pass); returns how many were removed.
CREATE OR REPLACE FUNCTION public.sync_forget_changes(p_schema text, p_table text, p_ids bigint[], p_upto bigint)
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
  WITH gone AS (
    DELETE FROM public.sync_changes
     WHERE schema_name = p_schema AND table_name = p_table
       AND (id = ANY (coalesce(p_ids, '{}')) OR id <= coalesce(p_upto, 0))
    RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;

-- Where one table is: its newest version, newest unprocessed ledger entry, the ids of the oldest
-- and newest change-log entries ([null, null] when it has none), and the database's clock in
-- milliseconds since the epoch.
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
                WHERE d.schema_name = p_schema AND d.table_name = p_table AND d.processed_at IS NULL),
    'changes', (SELECT jsonb_build_array(min(c.id), max(c.id)) FROM public.sync_changes c
                 WHERE c.schema_name = p_schema AND c.table_name = p_table),
    'db_ms', floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
END $$;

-- The tables a tables file's patterns can select (20261202150000_sync_storage.sql), now without the
-- change log.
CREATE OR REPLACE FUNCTION public.sync_list_tables()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'schema', n.nspname,
           'table', c.relname,
           'kind', CASE c.relkind WHEN 'p' THEN 'partitioned' ELSE 'table' END,
           'primaryKey', (SELECT jsonb_agg(a.attname ORDER BY k.ord)
                            FROM pg_catalog.pg_index i
                            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                           WHERE i.indrelid = c.oid AND i.indisprimary)
         ) ORDER BY n.nspname, c.relname), '[]')
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
     AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'auth', 'storage', 'realtime',
                           'extensions', 'graphql', 'graphql_public', 'vault', 'pgsodium', 'pgsodium_masks',
                           'net', 'cron', 'supabase_functions', 'supabase_migrations', '_realtime', '_analytics',
                           'pgbouncer', 'pgtle', 'tiger', 'topology', '_timescaledb_internal')
     AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
     AND NOT (n.nspname = 'public' AND c.relname IN ('sync_deletions', 'sync_tombstones',
                                                       'sync_storage_buckets', 'sync_storage_ledger', 'sync_changes'))
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
$$;

REVOKE ALL ON FUNCTION public.sync_track_changes(text, text, text[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_read_changes(text, text, bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_forget_changes(text, text, bigint[], bigint) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON TABLE public.sync_changes FROM %I', r);
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_track_changes(text, text, text[], boolean), '
                     'public.sync_read_changes(text, text, bigint, integer), '
                     'public.sync_forget_changes(text, text, bigint[], bigint) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_track_changes(text, text, text[], boolean),
      public.sync_read_changes(text, text, bigint, integer),
      public.sync_forget_changes(text, text, bigint[], bigint) TO service_role;
  END IF;
END $$;
