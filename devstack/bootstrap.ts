import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { applyStorageSchema } from './storage/schema.js';

const bootstrapSql = new URL('./bootstrap.sql', import.meta.url);
/** The auth schema as hosted projects have it (auth.users, auth.identities): its own file. */
const authSql = new URL('./auth.sql', import.meta.url);

/** Give a fresh Postgres what a Supabase project has before its own migrations (roles, publication, …). */
export async function bootstrapDatabase(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(await readFile(bootstrapSql, 'utf8'));
    await client.query(await readFile(authSql, 'utf8'));
    await applyStorageSchema(client);
  } finally {
    await client.end();
  }
}
