-- supabase-sync: what the app needs of the database besides its rows, read from the catalog (both
-- projects) for `supabase-sync schema diff`, `schema push`, `failover check` and the drift check of a
-- running worker: row level security and policies, privileges of the API roles, indexes, foreign-key and
-- check constraints, triggers, functions, views, enums, domains, composite types, extensions and
-- membership in the supabase_realtime publication. Every definition is Postgres's own rendering
-- (pg_get_functiondef, pg_get_viewdef, pg_get_triggerdef, pg_get_indexdef, pg_get_constraintdef,
-- pg_policies' expressions, aclexplode) with an empty search_path, so names are schema-qualified alike
-- on both projects; the comparison is by object identity (src/core/app-catalog-diff.ts). Objects of
-- extensions and supabase-sync's own (sync_*) are left out. Nothing here reads or changes row data.
-- Apply every migration in supabase/migrations to BOTH projects. Idempotent. For `service_role` only.

-- p_tables: the synced tables ("schema.table", unquoted); their schemas give the functions, views and
-- types compared. p_buckets: the synced Storage buckets; the storage.objects policies naming one are
-- compared ('*': every bucket, all of its policies). p_schemas: schemas compared besides (the
-- source's, when the target is read: both sides then describe the same schemas). Returns a JSON array of objects, each {"kind", …its fields}: see the kinds below.
CREATE OR REPLACE FUNCTION public.sync_app_catalog(p_tables text[], p_buckets text[] DEFAULT '{}',
                                                   p_schemas text[] DEFAULT '{}')
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
WITH tables AS (
  SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relrowsecurity, c.relforcerowsecurity
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND (n.nspname || '.' || c.relname) = ANY (p_tables)
),
-- functions the synced tables' policies, triggers, defaults and constraints call (pg_depend): a
-- policy may call a helper in a schema of its own (`private.is_member(org_id)`)
called AS (
  SELECT d.refobjid AS oid FROM pg_catalog.pg_depend d
   WHERE d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
     AND ((d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass
           AND d.objid IN (SELECT p.oid FROM pg_catalog.pg_policy p WHERE p.polrelid IN (SELECT oid FROM tables)))
       OR (d.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass
           AND d.objid IN (SELECT g.oid FROM pg_catalog.pg_trigger g
                            WHERE g.tgrelid IN (SELECT oid FROM tables) AND g.tgname NOT LIKE 'sync\_%'))
       OR (d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass
           AND d.objid IN (SELECT a.oid FROM pg_catalog.pg_attrdef a WHERE a.adrelid IN (SELECT oid FROM tables)))
       OR (d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
           AND d.objid IN (SELECT k.oid FROM pg_catalog.pg_constraint k WHERE k.conrelid IN (SELECT oid FROM tables))))
     AND d.refobjid NOT IN (SELECT p.oid FROM pg_catalog.pg_proc p WHERE p.proname LIKE 'sync\_%')
),
-- the app's schemas: the synced tables' and those of the functions they call, not the platform's
-- (auth, storage, …, whose functions and types are Supabase's own): their functions, views, types
-- and sequences are compared
schemas AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
   WHERE (n.nspname IN (SELECT schema FROM tables) OR n.nspname = ANY (p_schemas)
          OR n.oid IN (SELECT p.pronamespace FROM pg_catalog.pg_proc p WHERE p.oid IN (SELECT oid FROM called)))
     AND n.nspname NOT IN ('auth', 'storage', 'realtime', 'extensions', 'graphql', 'graphql_public', 'vault',
                           'pgsodium', 'pgsodium_masks', 'net', 'cron', 'supabase_functions', 'supabase_migrations',
                           '_realtime', '_analytics', 'pgbouncer', 'pgtle', 'pg_catalog', 'information_schema')
),
-- objects an extension owns, and supabase-sync's own, are not the app's
ext_members AS (
  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'
),
relations AS (
  SELECT t.oid, t.schema, t.name, c.relkind, c.relacl, c.relowner, c.reloptions
    FROM tables t JOIN pg_catalog.pg_class c ON c.oid = t.oid
  UNION ALL
  SELECT c.oid, s.nspname, c.relname, c.relkind, c.relacl, c.relowner, c.reloptions
    FROM pg_catalog.pg_class c JOIN schemas s ON s.oid = c.relnamespace
   WHERE c.relkind IN ('v', 'm', 'S') AND c.relname NOT LIKE 'sync\_%'
     AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid)
     -- a sequence behind a column of a table not synced is not compared
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE c.relkind = 'S'
                      AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                      AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
                      AND d.refobjid NOT IN (SELECT oid FROM tables))
),
functions AS (
  SELECT p.oid, s.nspname AS schema, p.proname AS name, p.proacl, p.proowner, p.prokind,
         pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
    FROM pg_catalog.pg_proc p JOIN schemas s ON s.oid = p.pronamespace
   WHERE p.prokind IN ('f', 'p') AND p.proname NOT LIKE 'sync\_%'
     AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = p.oid)
),
types AS (
  SELECT t.oid, s.nspname AS schema, t.typname AS name, t.typtype, t.typrelid, t.typbasetype, t.typtypmod,
         t.typnotnull, t.typdefault
    FROM pg_catalog.pg_type t JOIN schemas s ON s.oid = t.typnamespace
   WHERE (t.typtype IN ('e', 'd')
          OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c'))
     AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND e.objid = t.oid)
),
api_roles AS (
  SELECT 0::oid AS oid, 'PUBLIC' AS name
  UNION ALL
  SELECT r.oid, r.rolname FROM pg_catalog.pg_roles r WHERE r.rolname IN ('anon', 'authenticated', 'service_role')
),
objects AS (
  -- schema (of the app's): {"schema", "name"}
  SELECT -1 AS rank, s.nspname AS sort, jsonb_build_object('kind', 'schema', 'schema', s.nspname, 'name', s.nspname) AS o
    FROM schemas s
  UNION ALL
  -- extension: {"name", "schema", "version"}
  SELECT 0, x.extname, jsonb_build_object('kind', 'extension', 'name', x.extname,
           'schema', n.nspname, 'version', x.extversion) AS o
    FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace
   WHERE x.extname <> 'plpgsql'
  UNION ALL
  -- enum: {"schema", "name", "labels"}; domain: {"base", "default", "notNull", "checks": [{"name", "definition"}]};
  -- composite: {"attributes": [{"name", "type"}]}
  SELECT 1, lpad(t.oid::text, 10, '0'), CASE t.typtype
    WHEN 'e' THEN jsonb_build_object('kind', 'enum', 'schema', t.schema, 'name', t.name,
      'labels', (SELECT jsonb_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid))
    WHEN 'd' THEN jsonb_build_object('kind', 'domain', 'schema', t.schema, 'name', t.name,
      'base', pg_catalog.format_type(t.typbasetype, t.typtypmod), 'default', t.typdefault, 'notNull', t.typnotnull,
      'checks', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', k.conname, 'definition', pg_catalog.pg_get_constraintdef(k.oid, true))
                   ORDER BY k.conname), '[]') FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid))
    ELSE jsonb_build_object('kind', 'composite', 'schema', t.schema, 'name', t.name,
      'attributes', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod))
                       ORDER BY a.attnum), '[]')
                       FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
    END
    FROM types t
  UNION ALL
  -- rls: {"schema", "table", "enabled", "forced"}
  SELECT 2, t.schema || '.' || t.name, jsonb_build_object('kind', 'rls', 'schema', t.schema, 'table', t.name,
           'enabled', t.relrowsecurity, 'forced', t.relforcerowsecurity)
    FROM tables t
  UNION ALL
  -- constraint (foreign key, check, exclusion): {"schema", "table", "name", "definition"}
  SELECT 3, t.schema || '.' || t.name || '.' || k.conname, jsonb_build_object('kind', 'constraint', 'schema', t.schema,
           'table', t.name, 'name', k.conname, 'definition', pg_catalog.pg_get_constraintdef(k.oid, true))
    FROM tables t JOIN pg_catalog.pg_constraint k ON k.conrelid = t.oid
   WHERE k.contype IN ('f', 'c', 'x') AND k.conparentid = 0
  UNION ALL
  -- function: {"schema", "name", "args", "result", "definition"} (procedures too)
  SELECT 4, lpad(f.oid::text, 10, '0'), jsonb_build_object('kind', 'function', 'schema', f.schema, 'name', f.name,
           'args', f.args, 'result', pg_catalog.pg_get_function_result(f.oid),
           'definition', pg_catalog.pg_get_functiondef(f.oid))
    FROM functions f
  UNION ALL
  -- view, matview: {"schema", "name", "definition", "options"}
  SELECT 5, lpad(r.oid::text, 10, '0'), jsonb_build_object('kind', CASE r.relkind WHEN 'v' THEN 'view' ELSE 'matview' END,
           'schema', r.schema, 'name', r.name, 'definition', pg_catalog.pg_get_viewdef(r.oid, true),
           'options', coalesce(to_jsonb(r.reloptions), '[]'))
    FROM relations r WHERE r.relkind IN ('v', 'm')
  UNION ALL
  -- index (not the primary key's nor a unique constraint's; on synced tables and materialized views):
  -- {"schema", "table", "name", "definition"}
  SELECT 6, r.schema || '.' || r.name || '.' || ic.relname, jsonb_build_object('kind', 'index', 'schema', r.schema,
           'table', r.name, 'name', ic.relname, 'definition', pg_catalog.pg_get_indexdef(i.indexrelid))
    FROM relations r JOIN pg_catalog.pg_index i ON i.indrelid = r.oid
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
   WHERE r.relkind IN ('r', 'p', 'm') AND NOT i.indisprimary
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = r.oid)
     AND NOT (i.indisunique AND r.relkind IN ('r', 'p'))
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index pi JOIN pg_catalog.pg_inherits h ON h.inhparent = pi.indexrelid
                      WHERE h.inhrelid = i.indexrelid)
  UNION ALL
  -- policy (of a synced table, or of storage.objects naming a synced bucket):
  -- {"schema", "table", "name", "permissive", "command", "roles", "using", "check"}
  SELECT 7, p.schemaname || '.' || p.tablename || '.' || p.policyname, jsonb_build_object('kind', 'policy',
           'schema', p.schemaname, 'table', p.tablename, 'name', p.policyname, 'permissive', p.permissive = 'PERMISSIVE',
           'command', p.cmd, 'roles', to_jsonb(p.roles), 'using', p.qual, 'check', p.with_check)
    FROM pg_catalog.pg_policies p
   WHERE (p.schemaname || '.' || p.tablename) = ANY (p_tables)
      OR (p.schemaname = 'storage' AND p.tablename = 'objects' AND EXISTS (
            SELECT 1 FROM unnest(p_buckets) b
             WHERE b = '*' OR strpos(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''), pg_catalog.quote_literal(b)) > 0))
  UNION ALL
  -- trigger (not supabase-sync's, not a constraint's): {"schema", "table", "name", "definition", "enabled"}
  SELECT 8, t.schema || '.' || t.name || '.' || g.tgname, jsonb_build_object('kind', 'trigger', 'schema', t.schema,
           'table', t.name, 'name', g.tgname, 'definition', pg_catalog.pg_get_triggerdef(g.oid), 'enabled', g.tgenabled)
    FROM tables t JOIN pg_catalog.pg_trigger g ON g.tgrelid = t.oid
   WHERE NOT g.tgisinternal AND g.tgconstraint = 0 AND g.tgname NOT LIKE 'sync\_%' AND g.tgparentid = 0
  UNION ALL
  -- privileges of the API roles (and PUBLIC) on the tables, views, sequences, their columns, the
  -- functions and the schemas: {"on": "table"|"view"|"matview"|"sequence"|"column"|"function"|"schema", "schema", "name",
  -- "column"?, "args"?, "grantee", "privileges": [sorted]}; a grantee without any is left out.
  SELECT 9, r.schema || '.' || r.name || ' ' || g.name, jsonb_build_object('kind', 'privileges',
           'on', CASE r.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'matview' WHEN 'S' THEN 'sequence' ELSE 'table' END,
           'schema', r.schema, 'name', r.name, 'grantee', g.name, 'privileges', g.privileges)
    FROM relations r
    CROSS JOIN LATERAL (
      SELECT ar.name, jsonb_agg(DISTINCT a.privilege_type ORDER BY a.privilege_type) AS privileges
        FROM pg_catalog.aclexplode(coalesce(r.relacl, pg_catalog.acldefault((CASE WHEN r.relkind = 'S' THEN 's' ELSE 'r' END)::"char", r.relowner))) a
        JOIN api_roles ar ON ar.oid = a.grantee
       GROUP BY ar.name) g
  UNION ALL
  SELECT 9, r.schema || '.' || r.name || '.' || at.attname || ' ' || g.name, jsonb_build_object('kind', 'privileges',
           'on', 'column', 'schema', r.schema, 'name', r.name, 'column', at.attname, 'grantee', g.name,
           'privileges', g.privileges)
    FROM relations r JOIN pg_catalog.pg_attribute at ON at.attrelid = r.oid AND at.attnum > 0 AND NOT at.attisdropped
    CROSS JOIN LATERAL (
      SELECT ar.name, jsonb_agg(DISTINCT a.privilege_type ORDER BY a.privilege_type) AS privileges
        FROM pg_catalog.aclexplode(at.attacl) a JOIN api_roles ar ON ar.oid = a.grantee
       GROUP BY ar.name) g
   WHERE at.attacl IS NOT NULL
  UNION ALL
  SELECT 9, f.schema || '.' || f.name || '(' || f.args || ') ' || g.name, jsonb_build_object('kind', 'privileges',
           'on', 'function', 'schema', f.schema, 'name', f.name, 'args', f.args, 'grantee', g.name,
           'privileges', g.privileges)
    FROM functions f
    CROSS JOIN LATERAL (
      SELECT ar.name, jsonb_agg(DISTINCT a.privilege_type ORDER BY a.privilege_type) AS privileges
        FROM pg_catalog.aclexplode(coalesce(f.proacl, pg_catalog.acldefault('f'::"char", f.proowner))) a
        JOIN api_roles ar ON ar.oid = a.grantee
       GROUP BY ar.name) g
  UNION ALL
  SELECT 9, s.nspname || ' ' || g.name, jsonb_build_object('kind', 'privileges', 'on', 'schema', 'schema', s.nspname,
           'name', s.nspname, 'grantee', g.name, 'privileges', g.privileges)
    FROM pg_catalog.pg_namespace s
    CROSS JOIN LATERAL (
      SELECT ar.name, jsonb_agg(DISTINCT a.privilege_type ORDER BY a.privilege_type) AS privileges
        FROM pg_catalog.aclexplode(coalesce(s.nspacl, pg_catalog.acldefault('n'::"char", s.nspowner))) a
        JOIN api_roles ar ON ar.oid = a.grantee
       GROUP BY ar.name) g
   WHERE s.oid IN (SELECT oid FROM schemas)
  UNION ALL
  -- publication: {"schema", "table", "publication"}: the table's changes are in supabase_realtime
  SELECT 10, t.schema || '.' || t.name, jsonb_build_object('kind', 'publication', 'schema', t.schema, 'table', t.name,
           'publication', 'supabase_realtime')
    FROM tables t
   WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_publication p WHERE p.pubname = 'supabase_realtime' AND (p.puballtables
           OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel pr WHERE pr.prpubid = p.oid AND pr.prrelid = t.oid)
           OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_namespace pn JOIN pg_catalog.pg_class c ON c.relnamespace = pn.pnnspid
                       WHERE pn.pnpubid = p.oid AND c.oid = t.oid)))
)
SELECT coalesce(jsonb_agg(o ORDER BY rank, sort), '[]') FROM objects
$$;

REVOKE ALL ON FUNCTION public.sync_app_catalog(text[], text[], text[]) FROM PUBLIC;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.sync_app_catalog(text[], text[], text[]) FROM %I', r);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION public.sync_app_catalog(text[], text[], text[]) TO service_role;
  END IF;
END $$;
