/**
 * Applies supabase/migrations (Supabase CLI layout: `<timestamp>_<name>.sql`) in order, recording
 * each in `supabase_migrations.schema_migrations` as the Supabase CLI does, so a database applies
 * only what is new (and `supabase db push` later sees them as applied). Used by `supabase-sync
 * migrate --apply` and by the local stack (devstack/migrations.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../core/errors.js';
import { connectDatabase, redactDatabaseUrl, redactIn } from './database.js';

export const migrationsDir = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));
const MIGRATION_FILE = /^(\d{14})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: string;
  name: string;
  file: string;
}

export async function listMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return files.map((file) => {
    const match = MIGRATION_FILE.exec(file);
    if (!match) {
      throw new Error(
        `${path.join(dir, file)}: migration files are named <14-digit timestamp>_<snake_case_name>.sql`,
      );
    }
    return { version: match[1]!, name: match[2]!, file: path.join(dir, file) };
  });
}

export function readMigration(migration: Migration): Promise<string> {
  return readFile(migration.file, 'utf8');
}

export class MigrationError extends Error {}

/** Returns the migrations applied by this call (none when the database is up to date). */
export async function applyMigrations(databaseUrl: string, dir = migrationsDir): Promise<Migration[]> {
  const migrations = await listMigrations(dir);
  const where = redactDatabaseUrl(databaseUrl);
  const client = await connectDatabase(databaseUrl, (message) => new MigrationError(message));
  const applied: Migration[] = [];
  try {
    // The Supabase CLI's own history table (it adds its columns the same way).
    await client.query(`CREATE SCHEMA IF NOT EXISTS supabase_migrations;
      CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
      ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
      ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;`);
    const done = new Set(
      (
        await client.query<{ version: string }>('SELECT version FROM supabase_migrations.schema_migrations')
      ).rows.map((r) => r.version),
    );
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      const sql = await readMigration(migration);
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query(
          'INSERT INTO supabase_migrations.schema_migrations (version, name, statements) VALUES ($1, $2, $3)',
          [migration.version, migration.name, [sql]],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(
          `${path.basename(migration.file)} failed on ${where}: ${redactIn(errorMessage(error), databaseUrl)}`,
        );
      }
      applied.push(migration);
    }
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError(`${where}: ${redactIn(errorMessage(error), databaseUrl)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return applied;
}
