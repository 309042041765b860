/** `supabase-sync migrate [--apply --db-url URL]`: the SQL of supabase/migrations, or apply it. */
import path from 'node:path';
import type { Command } from 'commander';
import { MigrationError, applyMigrations, listMigrations, readMigration } from '../supabase/migrations.js';
import { redactDatabaseUrl } from '../supabase/database.js';
import { CliError } from './common.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'print the SQL of supabase/migrations in order; with --apply, apply what is new to a database (run it on both projects)',
    )
    .option('--apply', 'apply the migrations not yet recorded in supabase_migrations.schema_migrations')
    .option('--db-url <url>', 'postgres://… connection string of the database (with --apply)')
    .action(async (options: { apply?: boolean; dbUrl?: string }) => {
      if (!options.apply) {
        if (options.dbUrl !== undefined) throw new CliError('--db-url is used with --apply', 2);
        const migrations = await listMigrations();
        for (const m of migrations) {
          const sql = await readMigration(m);
          process.stdout.write(
            `-- supabase/migrations/${path.basename(m.file)}\n${sql}${sql.endsWith('\n') ? '' : '\n'}\n`,
          );
        }
        return;
      }
      const url = options.dbUrl;
      if (!url) throw new CliError('--apply needs --db-url postgres://…', 2);
      if (!/^postgres(ql)?:\/\//.test(url)) {
        throw new CliError(`--db-url ${redactDatabaseUrl(url)}: use a postgres:// or postgresql:// URL`, 2);
      }
      try {
        const all = await listMigrations();
        const applied = await applyMigrations(url);
        const where = redactDatabaseUrl(url);
        for (const m of applied) console.log(`applied ${m.version}_${m.name} to ${where}`);
        console.log(
          applied.length === 0
            ? `${where}: up to date (${all.length} migration(s) already applied)`
            : `${where}: ${applied.length} migration(s) applied, ${all.length - applied.length} already there`,
        );
      } catch (error) {
        if (error instanceof MigrationError) throw new CliError(error.message);
        throw error;
      }
    });
}
