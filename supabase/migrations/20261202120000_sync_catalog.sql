-- supabase-sync: what a table looks like, read from the catalog (both projects). The worker uses it
-- to choose the columns it reads and writes, to find a table's primary key and version column, to
-- compare the two projects' schemas (`supabase-sync schema diff`, drift shown in `status`), and to
-- find the tables a pattern in the tables file selects. Nothing here reads or changes row data.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

-- One table: {"exists": false} when there is no such table, else
--   {"exists": true, "schema", "table", "kind": "table"|"partitioned",
--    "columns": [{"name", "type", "notNull", "default", "identity": "always"|"by default"|null,
--                 "generated": "<expression>"|null, "collation": "<name>"|null}],     in attnum order
--    "primaryKey": ["col", …] | null,
--    "uniques": [{"name", "columns": ["<column or expression>", …], "predicate": "<expr>"|null,
--                 "nullsNotDistinct": bool, "constraint": bool, "definition": "<CREATE UNIQUE INDEX …>"}],
--    "partitionKey": "<PARTITION BY clause body>" | null, "partitions": [{"name": "schema.table",
--                 "bound": "<FOR VALUES …>"}, …] (every partition below the table, for a partitioned one),
--    "rls": bool, "replicaIdentity": "d"|"f"|"i"|"n",
--    "serviceRoleSelect": bool (service_role may SELECT the table: Realtime needs it),
--    "publishedAs": ["schema.table", …] (the names its changes are published under in supabase_realtime:
--                 the table, or its partitions when the publication does not publish via the root),
--    "versionIndexed": {"<column>": true, …} (columns that lead an index: cheap to order by)}
-- The text of types, defaults and expressions is pg_catalog's own rendering (format_type,
-- pg_get_expr, pg_get_indexdef) with an empty search_path, so names outside pg_catalog are qualified.
CREATE OR REPLACE FUNCTION public.sync_table_schema(p_schema text, p_table text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  rel oid;
  kind "char";
BEGIN
  SELECT c.oid, c.relkind INTO rel, kind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = p_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
  IF rel IS NULL THEN
    RETURN jsonb_build_object('exists', false, 'schema', p_schema, 'table', p_table);
  END IF;
  RETURN jsonb_build_object(
    'exists', true,
    'schema', p_schema,
    'table', p_table,
    'kind', CASE kind WHEN 'p' THEN 'partitioned' ELSE 'table' END,
    'columns', (
      SELECT coalesce(jsonb_agg(jsonb_build_object(
               'name', a.attname,
               'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
               'notNull', a.attnotnull,
               'default', CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) END,
               'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
               'generated', CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) END,
               'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                                 THEN (SELECT co.collname FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation) END
             ) ORDER BY a.attnum), '[]')
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped),
    'primaryKey', (
      SELECT jsonb_agg(a.attname ORDER BY k.ord)
        FROM pg_catalog.pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
       WHERE i.indrelid = rel AND i.indisprimary),
    'uniques', (
      SELECT coalesce(jsonb_agg(jsonb_build_object(
               'name', ic.relname,
               'columns', (SELECT jsonb_agg(pg_catalog.pg_get_indexdef(i.indexrelid, g, true) ORDER BY g)
                             FROM generate_series(1, i.indnkeyatts) AS g),
               'predicate', pg_catalog.pg_get_expr(i.indpred, i.indrelid, true),
               'nullsNotDistinct', i.indnullsnotdistinct,
               'constraint', EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid),
               'definition', pg_catalog.pg_get_indexdef(i.indexrelid)
             ) ORDER BY ic.relname), '[]')
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
       WHERE i.indrelid = rel AND i.indisunique AND NOT i.indisprimary AND i.indisvalid),
    'partitionKey', CASE WHEN kind = 'p' THEN pg_catalog.pg_get_partkeydef(rel) END,
    'partitions', (
      SELECT coalesce(jsonb_agg(jsonb_build_object(
               'name', format('%s.%s', pn.nspname, pc.relname),
               'parent', (SELECT format('%s.%s', qn.nspname, qc.relname) FROM pg_catalog.pg_class qc
                            JOIN pg_catalog.pg_namespace qn ON qn.oid = qc.relnamespace WHERE qc.oid = pt.parentrelid),
               'bound', pg_catalog.pg_get_expr(pc.relpartbound, pc.oid, true),
               'leaf', pt.isleaf
             ) ORDER BY pt.level, pn.nspname, pc.relname), '[]')
        FROM pg_catalog.pg_partition_tree(rel) pt
        JOIN pg_catalog.pg_class pc ON pc.oid = pt.relid
        JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
       WHERE pt.relid <> rel),
    'rls', (SELECT c.relrowsecurity FROM pg_catalog.pg_class c WHERE c.oid = rel),
    'replicaIdentity', (SELECT c.relreplident::text FROM pg_catalog.pg_class c WHERE c.oid = rel),
    'serviceRoleSelect', EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'service_role')
                         AND pg_catalog.has_table_privilege('service_role', rel, 'SELECT')
                         AND pg_catalog.has_schema_privilege('service_role', p_schema, 'USAGE'),
    'publishedAs', (
      SELECT coalesce(jsonb_agg(format('%s.%s', pt.schemaname, pt.tablename) ORDER BY pt.schemaname, pt.tablename), '[]')
        FROM pg_catalog.pg_publication_tables pt
       WHERE pt.pubname = 'supabase_realtime'
         AND (pt.schemaname, pt.tablename) IN (
           SELECT pn.nspname, pc.relname FROM pg_catalog.pg_partition_tree(rel) x
             JOIN pg_catalog.pg_class pc ON pc.oid = x.relid
             JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
           UNION ALL SELECT p_schema, p_table)),
    'versionIndexed', (
      SELECT coalesce(jsonb_object_agg(a.attname, true), '{}')
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       WHERE i.indrelid = rel AND i.indisvalid AND i.indpred IS NULL)
  );
END $$;

-- The tables a pattern in the tables file may select: every ordinary or partitioned table outside
-- the platform's own schemas (partitions are synced through their parent, so they are left out),
-- with its primary key. [{"schema", "table", "kind", "primaryKey": [...] | null}] in name order.
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
     AND NOT (n.nspname = 'public' AND c.relname IN ('sync_deletions', 'sync_tombstones'))
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
$$;

REVOKE ALL ON FUNCTION public.sync_table_schema(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.sync_list_tables() FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_table_schema(text, text), public.sync_list_tables() FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_table_schema(text, text), public.sync_list_tables() TO service_role;
  END IF;
END $$;
