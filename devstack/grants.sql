-- Default privileges for what `postgres` creates in public. Hosted projects made since 2026-10-30
-- give new tables NO grants (Supabase changelog "tables not exposed to Data and GraphQL API
-- automatically"): a migration grants what each API role needs. This file is the strict default;
-- grants-legacy.sql the old behaviour (`npm run stack -- --legacy-grants`). Both are idempotent
-- and each undoes the other, so a persisted stack follows the flag it was last started with.
-- (Functions stay executable by PUBLIC unless revoked, as in plain Postgres.)
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public REVOKE ALL ON TABLES FROM anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public REVOKE ALL ON SEQUENCES FROM anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public REVOKE ALL ON FUNCTIONS FROM anon, authenticated, service_role;
