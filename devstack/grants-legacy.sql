-- The grants of hosted projects made before 2026-10-30 (`--legacy-grants`): every table, sequence
-- and function `postgres` creates in public from then on is granted to anon, authenticated and
-- service_role (default privileges, as those projects have; existing objects keep their grants).
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
