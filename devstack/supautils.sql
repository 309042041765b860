-- What `postgres` may do to the platform's tables in auth, storage and realtime, as on a hosted
-- project, for a plain Postgres without the supautils extension. Run as the superuser by bootstrap.ts
-- after auth.sql and storage/schema.sql. Idempotent.
--
-- Hosted (supabase/postgres):
-- - postgres is NOT a member of supabase_auth_admin, supabase_storage_admin or supabase_realtime_admin
--   and may not CREATE in those schemas (migration 20250421084701_revoke_admin_roles_from_postgres,
--   which undid 20220609081115's grant), so any change to those tables' structure, their functions or
--   the schemas fails with Postgres's own 42501 ("must be owner of table objects", "permission denied
--   for schema auth"), and SET ROLE to those roles is refused. This stack has the same roles, so the
--   same statements fail with the same errors here.
-- - supautils (supabase/supautils, its ProcessUtility hook; settings supautils.policy_grants and
--   supautils.drop_trigger_grants, both {"postgres": [the tables in allowed_tables() below]}) runs as
--   the superuser exactly these statements of `postgres` on those tables: CREATE POLICY, ALTER POLICY
--   (not ALTER POLICY … RENAME, another statement), DROP POLICY, COMMENT ON POLICY and DROP TRIGGER.
-- - CREATE [OR REPLACE] TRIGGER needs only the TRIGGER privilege, which postgres holds there; ENABLE /
--   DISABLE TRIGGER, ALTER TRIGGER … RENAME and COMMENT ON TRIGGER need the owner: refused.
--
-- Emulation of supautils' part: event triggers of the superuser bracket those statements. At
-- ddl_command_start, postgres gets the admin roles' privileges (INHERIT, no SET: nothing can SET ROLE
-- to them) for that one statement; at ddl_command_end (and sql_drop) any use of them other than on a
-- policy, or a dropped trigger, of an allowed table fails with the error Postgres gives without them,
-- and they are taken back. All of it is in the statement's transaction, so a statement that
-- fails rolls the grant back with it. ENABLE ALWAYS: they fire under session_replication_role =
-- replica too, as supautils does not care about it.

-- The tables of hosted's supautils.policy_grants / drop_trigger_grants for postgres (the same list;
-- this stack has auth.users, auth.identities, storage.buckets and storage.objects of them).
CREATE OR REPLACE FUNCTION extensions.devstack_supautils_allowed_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$
  SELECT ARRAY['auth.audit_log_entries', 'auth.identities', 'auth.refresh_tokens', 'auth.sessions',
               'auth.users', 'realtime.messages', 'storage.buckets', 'storage.migrations', 'storage.objects',
               'storage.s3_multipart_uploads', 'storage.s3_multipart_uploads_parts']
$$;

-- The platform's admin roles, which postgres is never a member of outside these statements.
CREATE OR REPLACE FUNCTION extensions.devstack_supautils_admin_roles() RETURNS oid[]
LANGUAGE sql STABLE SET search_path = '' AS $$
  SELECT coalesce(array_agg(oid), '{}') FROM pg_catalog.pg_roles
   WHERE rolname IN ('supabase_auth_admin', 'supabase_storage_admin', 'supabase_realtime_admin')
$$;

-- Why Postgres refuses `postgres` the object a statement touched, when it belongs to an admin role
-- (the error it gives without the membership), or NULL when postgres may (its own, or allowed).
CREATE OR REPLACE FUNCTION extensions.devstack_supautils_refusal(p_classid oid, p_objid oid, p_objsubid int, p_tag text)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = '' AS $$
DECLARE
  rel oid;
  owner oid;
  kind text;
  name text;
BEGIN
  IF p_classid = 'pg_catalog.pg_policy'::pg_catalog.regclass THEN
    SELECT polrelid INTO rel FROM pg_catalog.pg_policy WHERE oid = p_objid;
    kind := CASE WHEN p_tag = 'COMMENT' THEN 'relation' ELSE 'table' END;
  ELSIF p_classid = 'pg_catalog.pg_class'::pg_catalog.regclass THEN
    rel := p_objid;
    SELECT CASE WHEN p_objsubid <> 0 THEN 'relation' WHEN c.relkind IN ('r', 'p') THEN 'table'
                WHEN c.relkind IN ('i', 'I') THEN 'index' WHEN c.relkind = 'v' THEN 'view'
                WHEN c.relkind = 'm' THEN 'materialized view' WHEN c.relkind = 'S' THEN 'sequence'
                ELSE 'relation' END INTO kind FROM pg_catalog.pg_class c WHERE c.oid = p_objid;
  ELSIF p_classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN
    SELECT tgrelid, 'relation' INTO rel, kind FROM pg_catalog.pg_trigger WHERE oid = p_objid;
  ELSIF p_classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN
    SELECT ev_class, 'relation' INTO rel, kind FROM pg_catalog.pg_rewrite WHERE oid = p_objid;
  ELSIF p_classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN
    SELECT nullif(conrelid, 0), 'relation' INTO rel, kind FROM pg_catalog.pg_constraint WHERE oid = p_objid;
  ELSIF p_classid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN
    SELECT p.proowner, CASE WHEN p.prokind = 'p' THEN 'procedure' ELSE 'function' END, n.nspname || '.' || p.proname
      INTO owner, kind, name FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
     WHERE p.oid = p_objid;
  ELSIF p_classid = 'pg_catalog.pg_type'::pg_catalog.regclass THEN
    SELECT t.typowner, 'type', n.nspname || '.' || t.typname INTO owner, kind, name
      FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = p_objid;
  ELSIF p_classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass THEN
    SELECT nspowner, 'schema', nspname INTO owner, kind, name FROM pg_catalog.pg_namespace WHERE oid = p_objid;
  ELSE
    -- Any other kind of object: refused when in a platform schema (none here needs more).
    SELECT 'must be owner of ' || o.type || ' ' || o.identity INTO name FROM pg_catalog.pg_identify_object(p_classid, p_objid, p_objsubid) o
     WHERE o.schema IN ('auth', 'storage', 'realtime');
    RETURN name;
  END IF;
  IF rel IS NOT NULL THEN
    SELECT c.relowner, c.relname INTO owner, name FROM pg_catalog.pg_class c WHERE c.oid = rel;
    IF p_classid = 'pg_catalog.pg_policy'::pg_catalog.regclass
       AND (SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel)
           = ANY (extensions.devstack_supautils_allowed_tables()) THEN
      RETURN NULL;
    END IF;
  END IF;
  IF owner = ANY (extensions.devstack_supautils_admin_roles()) THEN
    RETURN format('must be owner of %s %s', kind, name);
  END IF;
  RETURN NULL;
END $$;

-- The privileges come through a bridge role, a standing member of the admin roles (INHERIT, no SET)
-- that postgres is granted for the statement. GRANT locks the granted role until the transaction
-- ends, so there are 16 of them, each taken by one transaction at a time (advisory lock
-- (1937076596, k)): sessions creating policies at once do not wait for each other. Nobody but the
-- superuser may grant, alter or become them.
DO $$
DECLARE
  k int;
  r record;
BEGIN
  FOR k IN 0..15 LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'devstack_supautils_bridge_' || k) THEN
      EXECUTE format('CREATE ROLE devstack_supautils_bridge_%s NOLOGIN', k);
    END IF;
    FOR r IN SELECT a.rolname FROM pg_roles a WHERE a.oid = ANY (extensions.devstack_supautils_admin_roles())
               AND NOT pg_has_role('devstack_supautils_bridge_' || k, a.oid, 'MEMBER') LOOP
      EXECUTE format('GRANT %I TO devstack_supautils_bridge_%s WITH INHERIT TRUE, SET FALSE', r.rolname, k);
    END LOOP;
  END LOOP;
END $$;

-- ddl_command_start: a bridge for this statement, unless the session is the platform's own (the
-- superuser, Storage's or Auth's role), which needs none. For ALTER POLICY, the names of the admin
-- roles' policies, to tell a RENAME (refused on hosted) from other changes (allowed).
CREATE OR REPLACE FUNCTION extensions.devstack_supautils_grant() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  bridge text;
  k int;
BEGIN
  PERFORM pg_catalog.set_config('devstack.supautils_bridge', '', true);
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user)
     OR session_user::text IN ('supabase_auth_admin', 'supabase_storage_admin', 'supabase_realtime_admin')
     OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'postgres') THEN
    RETURN;
  END IF;
  FOR k IN 0..15 LOOP
    IF pg_catalog.pg_try_advisory_xact_lock(1937076596, k) THEN
      bridge := 'devstack_supautils_bridge_' || k;
      EXIT;
    END IF;
  END LOOP;
  IF bridge IS NULL THEN
    k := pg_catalog.pg_backend_pid() % 16;
    PERFORM pg_catalog.pg_advisory_xact_lock(1937076596, k);
    bridge := 'devstack_supautils_bridge_' || k;
  END IF;
  IF NOT pg_catalog.pg_has_role('postgres', bridge, 'MEMBER') THEN
    EXECUTE format('GRANT %I TO postgres WITH INHERIT TRUE, SET FALSE', bridge);
    PERFORM pg_catalog.set_config('devstack.supautils_bridge', bridge, true);
  END IF;
  IF TG_TAG = 'ALTER POLICY' THEN
    PERFORM pg_catalog.set_config('devstack.supautils_policy_names', coalesce(
      (SELECT jsonb_object_agg(p.oid::text, p.polname) FROM pg_catalog.pg_policy p
         JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
        WHERE c.relowner = ANY (extensions.devstack_supautils_admin_roles())), '{}')::text, true);
  END IF;
END $$;

-- ddl_command_end: refuse what the membership allowed beyond supautils' grants, then revoke it.
CREATE OR REPLACE FUNCTION extensions.devstack_supautils_revoke() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  bridge text := nullif(current_setting('devstack.supautils_bridge', true), '');
  c record;
  refusal text;
  names jsonb;
BEGIN
  IF bridge IS NULL THEN
    RETURN;
  END IF;
  EXECUTE format('REVOKE %I FROM postgres', bridge);
  PERFORM pg_catalog.set_config('devstack.supautils_bridge', '', true);
  names := nullif(current_setting('devstack.supautils_policy_names', true), '')::jsonb;
  FOR c IN SELECT * FROM pg_catalog.pg_event_trigger_ddl_commands() LOOP
    refusal := extensions.devstack_supautils_refusal(c.classid, c.objid, c.objsubid, c.command_tag);
    -- ALTER POLICY … RENAME: the owner's only (hosted's message names the table).
    IF refusal IS NULL AND c.command_tag = 'ALTER POLICY' AND names ? c.objid::text
       AND names ->> c.objid::text <> (SELECT polname FROM pg_catalog.pg_policy WHERE oid = c.objid) THEN
      SELECT 'must be owner of table ' || relname INTO refusal FROM pg_catalog.pg_class
       WHERE oid = (SELECT polrelid FROM pg_catalog.pg_policy WHERE oid = c.objid);
    END IF;
    IF refusal IS NOT NULL THEN
      RAISE EXCEPTION '%', refusal USING ERRCODE = '42501';
    END IF;
  END LOOP;
END $$;

-- sql_drop (DROP POLICY, DROP TRIGGER): only on the allowed tables.
CREATE OR REPLACE FUNCTION extensions.devstack_supautils_check_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  d record;
  rel oid;
BEGIN
  IF coalesce(current_setting('devstack.supautils_bridge', true), '') = '' THEN
    RETURN;
  END IF;
  FOR d IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects() WHERE object_type IN ('policy', 'trigger') LOOP
    rel := pg_catalog.to_regclass(format('%I.%I', d.address_names[1], d.address_names[2]));
    IF (SELECT relowner FROM pg_catalog.pg_class WHERE oid = rel) = ANY (extensions.devstack_supautils_admin_roles())
       AND NOT (d.address_names[1] || '.' || d.address_names[2]) = ANY (extensions.devstack_supautils_allowed_tables()) THEN
      RAISE EXCEPTION 'must be owner of relation %', d.address_names[2] USING ERRCODE = '42501';
    END IF;
  END LOOP;
END $$;

REVOKE ALL ON FUNCTION extensions.devstack_supautils_grant(), extensions.devstack_supautils_revoke(),
  extensions.devstack_supautils_check_drop() FROM PUBLIC;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'devstack_supautils_grant') THEN
    CREATE EVENT TRIGGER devstack_supautils_grant ON ddl_command_start
      WHEN TAG IN ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'COMMENT', 'DROP TRIGGER')
      EXECUTE FUNCTION extensions.devstack_supautils_grant();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'devstack_supautils_check_drop') THEN
    CREATE EVENT TRIGGER devstack_supautils_check_drop ON sql_drop
      WHEN TAG IN ('DROP POLICY', 'DROP TRIGGER')
      EXECUTE FUNCTION extensions.devstack_supautils_check_drop();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'devstack_supautils_revoke') THEN
    CREATE EVENT TRIGGER devstack_supautils_revoke ON ddl_command_end
      WHEN TAG IN ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'COMMENT', 'DROP TRIGGER')
      EXECUTE FUNCTION extensions.devstack_supautils_revoke();
  END IF;
END $$;
ALTER EVENT TRIGGER devstack_supautils_grant ENABLE ALWAYS;
ALTER EVENT TRIGGER devstack_supautils_check_drop ENABLE ALWAYS;
ALTER EVENT TRIGGER devstack_supautils_revoke ENABLE ALWAYS;

-- Hosted grants postgres the storage tables and schema, and realtime's schema, WITH GRANT OPTION
-- (supabase/postgres 20250623125453, 20250709135250, 20260506172403): GRANT … ON storage.objects TO a
-- role of the app's works; on auth's tables it grants nothing (a warning), as here.
GRANT ALL ON storage.buckets, storage.objects TO postgres WITH GRANT OPTION;
GRANT USAGE ON SCHEMA storage TO postgres WITH GRANT OPTION;
GRANT USAGE ON SCHEMA realtime TO postgres WITH GRANT OPTION;
