/**
 * The login roles of a local project, as hosted Supabase has them: every client of the database
 * logs in as its own role (all share the stack's password, see postgres.ts).
 */

/** The cluster's superuser (initdb's user); users never get it on hosted projects. */
export const SUPERUSER = 'supabase_admin';

/** Who each API logs in as on hosted projects. */
export const API_LOGIN_ROLES = {
  /** PostgREST: logs in as authenticator and switches to the request's role (SET LOCAL ROLE). */
  rest: 'authenticator',
  /** Storage: its own admin role, which owns the storage schema and switches role per request. */
  storage: 'supabase_storage_admin',
  /**
   * Realtime: supabase_admin on hosted and self-hosted projects (its tenant's db_user); it needs
   * REPLICATION for the slot and to switch to each subscriber's role for the RLS check.
   */
  realtime: SUPERUSER,
} as const;

/** The same database URL, logging in as another role (same password). */
export function databaseUrlAs(databaseUrl: string, role: string): string {
  const url = new URL(databaseUrl);
  url.username = role;
  return url.toString();
}
