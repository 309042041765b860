/**
 * The local stack applies supabase/migrations with the same applier as `supabase-sync migrate
 * --apply` (src/supabase/migrations.ts): one copy of the logic, recording versions in
 * `supabase_migrations.schema_migrations` as the Supabase CLI does.
 */
export {
  applyMigrations,
  listMigrations,
  migrationsDir,
  type Migration,
} from '../src/supabase/migrations.js';
