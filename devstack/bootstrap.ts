import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { applyStorageSchema } from './storage/schema.js';

const bootstrapSql = new URL('./bootstrap.sql', import.meta.url);
/** The auth schema as hosted projects have it (auth.users, auth.identities): its own file. */
const authSql = new URL('./auth.sql', import.meta.url);
/** What supautils lets postgres do on the auth and storage tables (policies, dropping triggers). */
const supautilsSql = new URL('./supautils.sql', import.meta.url);
const grantsSql = new URL('./grants.sql', import.meta.url);
const legacyGrantsSql = new URL('./grants-legacy.sql', import.meta.url);

/** The roles the stack's clients log in as; each gets the stack's password. */
export const LOGIN_ROLES = ['postgres', 'authenticator', 'supabase_storage_admin'] as const;

export interface BootstrapOptions {
  /** The superuser's URL (supabase_admin): only it may create the roles and event triggers. */
  adminUrl: string;
  /** The password every login role gets (default: they keep theirs; roles are per server). */
  password?: string;
  /** Grant new tables to the API roles by default, as hosted projects made before 2026-10-30 did. */
  legacyGrants?: boolean;
}

/**
 * Gives a fresh Postgres what a Supabase project has before its own migrations (roles as hosted,
 * publication, storage schema, …). Idempotent.
 */
export async function bootstrapDatabase(options: BootstrapOptions): Promise<void> {
  const client = new pg.Client({ connectionString: options.adminUrl });
  await client.connect();
  try {
    await client.query(await readFile(bootstrapSql, 'utf8'));
    await client.query(await readFile(authSql, 'utf8'));
    await applyStorageSchema(client);
    await client.query(await readFile(supautilsSql, 'utf8'));
    // Storage logs in as supabase_storage_admin and switches to the request's role, as hosted.
    await client.query('GRANT anon, authenticated, service_role TO supabase_storage_admin');
    for (const role of LOGIN_ROLES) {
      const password = options.password;
      await client.query(
        `ALTER ROLE ${role} LOGIN${password === undefined ? '' : ` PASSWORD ${client.escapeLiteral(password)}`}`,
      );
    }
    await client.query(await readFile(options.legacyGrants ? legacyGrantsSql : grantsSql, 'utf8'));
  } finally {
    await client.end();
  }
}
