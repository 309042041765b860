-- supabase-sync: Storage objects (docs/storage.md). What it adds:
-- - public.sync_storage_buckets: the buckets whose deletes and moves the source logs (the worker
--   enables each synced bucket with sync_storage_enable; a project that is only a target logs nothing).
-- - public.sync_storage_ledger: an object deleted from storage.objects, or renamed / moved to another
--   bucket (the Storage API's move UPDATEs name and bucket_id), leaves its old bucket and name here,
--   written by triggers on storage.objects (hosted projects allow triggers there, not DDL).
-- - Reads of object metadata only (never content): changed since a cursor in keyset order on
--   (updated_at, name), by name, and in name order (verify).
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

CREATE TABLE IF NOT EXISTS public.sync_storage_buckets (
  bucket_id text PRIMARY KEY,
  enabled_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS public.sync_storage_ledger (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  bucket_id text NOT NULL,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('delete', 'move')),
  logged_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX IF NOT EXISTS sync_storage_ledger_pending ON public.sync_storage_ledger (bucket_id, id)
  WHERE processed_at IS NULL;
ALTER TABLE public.sync_storage_buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.sync_storage_ledger ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.sync_storage_buckets, public.sync_storage_ledger FROM PUBLIC;

-- Statement-level AFTER DELETE: one INSERT … SELECT per statement (the Storage API deletes in
-- batches of names), only for enabled buckets.
CREATE OR REPLACE FUNCTION public.sync_storage_log_deletes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO public.sync_storage_ledger (bucket_id, name, kind)
  SELECT o.bucket_id, o.name, 'delete' FROM old_rows AS o
   WHERE o.name IS NOT NULL
     AND EXISTS (SELECT 1 FROM public.sync_storage_buckets b WHERE b.bucket_id = o.bucket_id);
  RETURN NULL;
END $$;

-- Row-level AFTER UPDATE when the name or the bucket changes (a move): the old place is gone.
CREATE OR REPLACE FUNCTION public.sync_storage_log_move() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  IF OLD.name IS NOT NULL
     AND EXISTS (SELECT 1 FROM public.sync_storage_buckets b WHERE b.bucket_id = OLD.bucket_id) THEN
    INSERT INTO public.sync_storage_ledger (bucket_id, name, kind) VALUES (OLD.bucket_id, OLD.name, 'move');
  END IF;
  RETURN NULL;
END $$;

-- The triggers, where a `storage` schema exists (every Supabase project; not a bare Postgres).
DO $$
BEGIN
  IF to_regclass('storage.objects') IS NOT NULL THEN
    -- CREATE OR REPLACE: hosted `postgres` may create triggers on storage.objects, not drop them
    -- as plain Postgres lets only the table's owner (supautils lets it drop its own there).
    CREATE OR REPLACE TRIGGER sync_storage_track_deletes AFTER DELETE ON storage.objects
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.sync_storage_log_deletes();
    CREATE OR REPLACE TRIGGER sync_storage_track_moves AFTER UPDATE ON storage.objects FOR EACH ROW
      WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.bucket_id IS DISTINCT FROM NEW.bucket_id)
      EXECUTE FUNCTION public.sync_storage_log_move();
  END IF;
END $$;

-- Starts logging the deletes and moves of one bucket. Returns true when it was already enabled.
CREATE OR REPLACE FUNCTION public.sync_storage_enable(p_bucket text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO public.sync_storage_buckets (bucket_id) VALUES (p_bucket) ON CONFLICT DO NOTHING;
  RETURN NOT FOUND;
END $$;

-- Internal: an object's metadata as the sync reads it (no content), from its row's name, metadata,
-- user_metadata and updated_at (as arguments: the function does not depend on storage.objects).
CREATE OR REPLACE FUNCTION public.sync_storage_object_json(
  p_name text, p_metadata jsonb, p_user_metadata jsonb, p_updated_at timestamptz
) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$
  SELECT jsonb_build_object(
    'name', p_name,
    'size', coalesce((p_metadata ->> 'size')::bigint, (p_metadata ->> 'contentLength')::bigint, 0),
    'mimetype', p_metadata ->> 'mimetype',
    'cache_control', p_metadata ->> 'cacheControl',
    'etag', p_metadata ->> 'eTag',
    'user_metadata', p_user_metadata,
    'updated_at', to_char(p_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

-- The objects of a bucket changed at or after p_from (a timestamp: the cursor minus the lookback)
-- or, with p_after_updated/p_after_name, after that keyset position; in (updated_at, name) order,
-- at most p_limit (1–10000): [{"name", "size", "mimetype", "cache_control", "etag",
-- "user_metadata", "updated_at"}].
CREATE OR REPLACE FUNCTION public.sync_storage_read_objects(
  p_bucket text, p_from text, p_after_updated text, p_after_name text, p_limit integer
) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' SET timezone = 'UTC' SET row_security = off AS $$
DECLARE result jsonb;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
    RAISE EXCEPTION 'p_limit must be between 1 and 10000 (got %)', p_limit USING ERRCODE = '22023';
  END IF;
  SELECT coalesce(jsonb_agg(public.sync_storage_object_json(x.name, x.metadata, x.user_metadata, x.updated_at) ORDER BY x.updated_at, x.name COLLATE "C"), '[]')
    INTO result
    FROM (SELECT o.* FROM storage.objects o
           WHERE o.bucket_id = p_bucket AND o.name IS NOT NULL
             AND (p_after_updated IS NULL
                  OR (o.updated_at, o.name COLLATE "C") > (p_after_updated::timestamptz, p_after_name COLLATE "C"))
             AND (p_from IS NULL OR o.updated_at >= p_from::timestamptz)
           ORDER BY o.updated_at, o.name COLLATE "C" LIMIT p_limit) AS x;
  RETURN result;
END $$;

-- The objects of a bucket with the given names (at most 10000), in name order; names with no
-- object are left out.
CREATE OR REPLACE FUNCTION public.sync_storage_objects_by_name(p_bucket text, p_names text[])
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' SET timezone = 'UTC' SET row_security = off AS $$
DECLARE result jsonb;
BEGIN
  IF cardinality(p_names) > 10000 THEN
    RAISE EXCEPTION 'p_names must hold at most 10000 names' USING ERRCODE = '22023';
  END IF;
  SELECT coalesce(jsonb_agg(public.sync_storage_object_json(o.name, o.metadata, o.user_metadata, o.updated_at) ORDER BY o.name COLLATE "C"), '[]') INTO result
    FROM storage.objects o WHERE o.bucket_id = p_bucket AND o.name = ANY(p_names);
  RETURN result;
END $$;

-- The objects of a bucket after p_after in name order (C collation), at most p_limit (1–10000).
CREATE OR REPLACE FUNCTION public.sync_storage_list_objects(p_bucket text, p_after text, p_limit integer)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' SET timezone = 'UTC' SET row_security = off AS $$
DECLARE result jsonb;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
    RAISE EXCEPTION 'p_limit must be between 1 and 10000 (got %)', p_limit USING ERRCODE = '22023';
  END IF;
  SELECT coalesce(jsonb_agg(public.sync_storage_object_json(x.name, x.metadata, x.user_metadata, x.updated_at) ORDER BY x.name COLLATE "C"), '[]') INTO result
    FROM (SELECT o.* FROM storage.objects o
           WHERE o.bucket_id = p_bucket AND o.name IS NOT NULL
             AND (p_after IS NULL OR o.name COLLATE "C" > p_after COLLATE "C")
           ORDER BY o.name COLLATE "C" LIMIT p_limit) AS x;
  RETURN result;
END $$;

-- The unprocessed ledger entries of a bucket, oldest first, at most p_limit:
-- [{"id", "name", "kind", "logged_at"}].
CREATE OR REPLACE FUNCTION public.sync_storage_pending(p_bucket text, p_limit integer) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' SET timezone = 'UTC' AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('id', l.id::text, 'name', l.name, 'kind', l.kind,
                                               'logged_at', l.logged_at) ORDER BY l.id), '[]')
    FROM (SELECT * FROM public.sync_storage_ledger
           WHERE bucket_id = p_bucket AND processed_at IS NULL
           ORDER BY id LIMIT greatest(1, least(p_limit, 10000))) AS l
$$;

-- Marks entries processed; entries processed more than 7 days ago are removed. Returns how many
-- were marked.
CREATE OR REPLACE FUNCTION public.sync_storage_mark_processed(p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE n integer;
BEGIN
  UPDATE public.sync_storage_ledger SET processed_at = now() WHERE id = ANY(p_ids) AND processed_at IS NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  DELETE FROM public.sync_storage_ledger WHERE processed_at < now() - interval '7 days';
  RETURN n;
END $$;

-- The tables a tables file's patterns can select (20261202120000_sync_catalog.sql), now without
-- this migration's own tables.
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
                                                       'sync_storage_buckets', 'sync_storage_ledger'))
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
$$;

CREATE OR REPLACE FUNCTION public.sync_functions_version() RETURNS bigint
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$ SELECT 20261202150000::bigint $$;

REVOKE ALL ON FUNCTION public.sync_storage_log_deletes(), public.sync_storage_log_move(),
  public.sync_storage_enable(text), public.sync_storage_object_json(text, jsonb, jsonb, timestamptz),
  public.sync_storage_read_objects(text, text, text, text, integer),
  public.sync_storage_objects_by_name(text, text[]), public.sync_storage_list_objects(text, text, integer),
  public.sync_storage_pending(text, integer), public.sync_storage_mark_processed(bigint[]),
  public.sync_functions_version() FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_storage_enable(text), '
                     'public.sync_storage_read_objects(text, text, text, text, integer), '
                     'public.sync_storage_objects_by_name(text, text[]), '
                     'public.sync_storage_list_objects(text, text, integer), '
                     'public.sync_storage_pending(text, integer), '
                     'public.sync_storage_mark_processed(bigint[]) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_storage_enable(text),
      public.sync_storage_read_objects(text, text, text, text, integer),
      public.sync_storage_objects_by_name(text, text[]), public.sync_storage_list_objects(text, text, integer),
      public.sync_storage_pending(text, integer), public.sync_storage_mark_processed(bigint[]),
      public.sync_functions_version() TO service_role;
  END IF;
END $$;
