/**
 * Applies supabase/migrations (Supabase CLI layout: `<timestamp>_<name>.sql`) in order, recording
 * each in `supabase_migrations.schema_migrations` as the Supabase CLI does, so a persisted stack
 * applies only what is new.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const migrationsDir = fileURLToPath(new URL('../supabase/migrations/', import.meta.url));
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

/** Returns the migrations applied by this call. */
export async function applyMigrations(databaseUrl: string, dir = migrationsDir): Promise<Migration[]> {
  const migrations = await listMigrations(dir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: Migration[] = [];
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS supabase_migrations;
      CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text PRIMARY KEY, name text, statements text[])`);
    const done = new Set(
      (
        await client.query<{ version: string }>('SELECT version FROM supabase_migrations.schema_migrations')
      ).rows.map((r) => r.version),
    );
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      const sql = await readFile(migration.file, 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query(
          'INSERT INTO supabase_migrations.schema_migrations (version, name, statements) VALUES ($1, $2, $3)',
          [migration.version, migration.name, [sql]],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`${path.basename(migration.file)} failed: ${(error as Error).message}`);
      }
      applied.push(migration);
    }
  } finally {
    await client.end();
  }
  return applied;
}
