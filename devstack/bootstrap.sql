-- What every Supabase project has before its own migrations run, reduced to what this
-- project's API stand-ins and tests rely on, with the roles and privileges of a hosted project.
-- Run as the cluster's superuser `supabase_admin` (initdb's user). Idempotent: safe on every
-- `npm run stack`. The login roles' passwords are set by bootstrap.ts.
--
-- Roles as hosted (supabase/postgres init scripts and its "demote postgres" migration):
-- - supabase_admin: the superuser; it creates the cluster objects here. Users never get it.
-- - postgres: NOT a superuser (CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS); the user's role,
--   which applies migrations and owns their tables and functions.
-- - anon, authenticated, service_role: the API roles (service_role with BYPASSRLS); NOLOGIN.
-- - authenticator: what PostgREST logs in as (LOGIN, NOINHERIT), switching to an API role per request.
-- - supabase_storage_admin: what Storage logs in as (storage/schema.sql creates it).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'postgres') THEN CREATE ROLE postgres; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticator') THEN CREATE ROLE authenticator; END IF;
END $$;
ALTER ROLE postgres NOSUPERUSER CREATEDB CREATEROLE LOGIN REPLICATION BYPASSRLS INHERIT;
ALTER ROLE anon NOSUPERUSER NOLOGIN NOINHERIT NOBYPASSRLS;
ALTER ROLE authenticated NOSUPERUSER NOLOGIN NOINHERIT NOBYPASSRLS;
ALTER ROLE service_role NOSUPERUSER NOLOGIN NOINHERIT BYPASSRLS;
ALTER ROLE authenticator NOSUPERUSER LOGIN NOINHERIT NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION;
GRANT anon, authenticated, service_role TO authenticator;
GRANT anon, authenticated, service_role TO postgres;
-- Native logical replication between projects (Postgres 16+): hosted gives postgres this role.
GRANT pg_create_subscription TO postgres;
-- As hosted: the API roles stop long statements (service_role has no timeout of its own).
ALTER ROLE anon SET statement_timeout = '3s';
ALTER ROLE authenticated SET statement_timeout = '8s';

-- postgres creates in the database and in public (owned by the superuser here, as on hosted).
DO $$ BEGIN EXECUTE format('GRANT ALL ON DATABASE %I TO postgres', current_database()); END $$;
GRANT ALL ON SCHEMA public TO postgres;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;

-- session_replication_role is a superuser-only setting. Hosted lets `postgres` set it through a
-- SET statement only (supautils); plain Postgres cannot tell SET from set_config(), so this lets
-- both through, and test/devstack/roles.contract.test.ts fails on any installed function that
-- calls set_config('session_replication_role', …).
GRANT SET ON PARAMETER session_replication_role TO postgres;

-- Supabase Realtime streams only the tables in this publication; postgres owns it (it adds tables).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'supabase_realtime') THEN
    CREATE PUBLICATION supabase_realtime;
  END IF;
END $$;
ALTER PUBLICATION supabase_realtime OWNER TO postgres;

-- realtime.cast: how Supabase Realtime turns a decoded text value into typed JSON.
CREATE SCHEMA IF NOT EXISTS realtime;
CREATE OR REPLACE FUNCTION realtime.cast(val text, type_ regtype) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE res jsonb;
BEGIN
  EXECUTE format('select to_jsonb(%L::' || type_::text || ')', val) INTO res;
  RETURN res;
END $$;
GRANT USAGE ON SCHEMA realtime TO postgres, anon, authenticated, service_role;

-- PostgREST reloads its schema cache on this notification; Supabase sends it after every DDL.
CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA extensions TO postgres, anon, authenticated, service_role;
CREATE OR REPLACE FUNCTION extensions.pgrst_ddl_watch() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
  NOTIFY pgrst, 'reload schema';
END $$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgrst_ddl_watch') THEN
    CREATE EVENT TRIGGER pgrst_ddl_watch ON ddl_command_end EXECUTE FUNCTION extensions.pgrst_ddl_watch();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgrst_drop_watch') THEN
    CREATE EVENT TRIGGER pgrst_drop_watch ON sql_drop EXECUTE FUNCTION extensions.pgrst_ddl_watch();
  END IF;
END $$;
