-- supabase-sync: a fingerprint of what `sync_app_catalog` (20261207120000) describes, per schema, so
-- a running worker can tell within a minute that a policy, function, grant, index, trigger, view,
-- type or a synced table's columns changed on either project without fetching the whole catalog
-- every time (src/engine/schema-watch.ts): one md5 per schema of the catalog's objects in that
-- schema and of the synced tables' columns, defaults, identity and unique indexes there. The catalog
-- is rendered on the server; only the hashes travel. Nothing here reads or changes row data.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

-- p_tables, p_buckets: as sync_app_catalog's. Returns {"<schema>": "<md5>", …} (an empty object
-- when nothing is in scope).
CREATE OR REPLACE FUNCTION public.sync_app_fingerprint(p_tables text[], p_buckets text[] DEFAULT '{}')
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
WITH tables AS (
  SELECT c.oid, n.nspname AS schema, c.relname AS name
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND (n.nspname || '.' || c.relname) = ANY (p_tables)
),
parts AS (
  -- the app's objects, in the catalog's own order
  SELECT coalesce(a.o ->> 'schema', '') AS schema, 0 AS part, lpad(a.i::text, 10, '0') AS sort, a.o::text AS body
    FROM jsonb_array_elements(public.sync_app_catalog(p_tables, p_buckets)) WITH ORDINALITY AS a(o, i)
  UNION ALL
  -- the synced tables' columns (what src/core/schema-diff.ts compares)
  SELECT t.schema, 1, t.name || '.' || lpad(a.attnum::text, 5, '0'),
         pg_catalog.jsonb_build_array(t.name, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
           a.attnotnull, a.attidentity, a.attgenerated, a.attcollation,
           pg_catalog.pg_get_expr(d.adbin, d.adrelid))::text
    FROM tables t
    JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum
  UNION ALL
  -- their primary keys and unique indexes
  SELECT t.schema, 2, t.name || '.' || ic.relname,
         pg_catalog.jsonb_build_array(t.name, i.indisprimary, pg_catalog.pg_get_indexdef(i.indexrelid))::text
    FROM tables t
    JOIN pg_catalog.pg_index i ON i.indrelid = t.oid AND i.indisunique
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
)
SELECT coalesce(pg_catalog.jsonb_object_agg(f.schema, f.fingerprint), '{}')
  FROM (SELECT schema, pg_catalog.md5(pg_catalog.string_agg(body, E'\n' ORDER BY part, sort)) AS fingerprint
          FROM parts GROUP BY schema) f
$$;

REVOKE ALL ON FUNCTION public.sync_app_fingerprint(text[], text[]) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_app_fingerprint(text[], text[]) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_app_fingerprint(text[], text[]) TO service_role;
  END IF;
END $$;
