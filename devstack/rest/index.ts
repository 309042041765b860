/**
 * A local stand-in for PostgREST (as Supabase serves it at /rest/v1) for the unmodified supabase-js client.
 * Wire behaviour follows what the supabase-js client sends and PostgREST answers (its source is the truth).
 *
 * Keys and roles as Kong + PostgREST (auth.ts, jwt.ts, tx-vars.ts): `apikey` must be the project's anon or
 * service_role key (any JWT with that role signed with the project's secret; Kong's messages otherwise);
 * `Authorization: Bearer` any JWT signed with that secret (a user's access token: keys.ts
 * `userAccessToken`), checked as PostgREST does (PGRST301/PGRST303); without `Authorization`, the
 * `apikey`'s. Each request runs as the JWT's `role` claim (anon without one) with PostgREST's
 * transaction settings (`request.jwt.claims`, `request.headers`, …, the role's `ALTER ROLE … SET`
 * settings), so grants, RLS policies and EXECUTE privileges apply; 42501 is 401 for anon, 403 otherwise.
 *
 * Simplifications (deliberate; a development and test tool):
 * - The gateway accepts any anon or service_role JWT signed with the project's secret (Kong compares
 *   the key to the project's two exact strings); no `sb_publishable_…`/`sb_secret_…` keys, no JWKS
 *   (HS256/384/512 with the one secret), no `jwt-aud`, no `db-pre-request`, transactions always READ
 *   COMMITTED (a role's `default_transaction_isolation` is ignored).
 * - No resource embedding, spreads, aggregates, JSON paths (`->`) or casts (`::`) in select/filters/order:
 *   those answer 400 PGRST100. No CSV/GeoJSON/plan output (406 PGRST107). No PUT, no `Range` header,
 *   no `params=single-object`, no `tx=rollback`, no `response.status`/`response.headers` GUCs, no OpenAPI.
 * - Every non-system schema is exposed (Accept-Profile / Content-Profile); unknown ones give 406 PGRST106.
 * - Errors use the PostgREST ≥ 13 shapes (unknown table 404 PGRST205, expired JWT PGRST303).
 * - `count=planned|estimated` are answered with an exact count. db-max-rows is off unless `maxRows` is set.
 * - RPC: named arguments only (no single unnamed json parameter, no variadic, no bulk array bodies);
 *   overloads are resolved by argument names. GET/HEAD run in a READ ONLY transaction, POST read-write.
 * - An upsert with merge answers 200 (every row updated) only on plain tables: views and partitioned
 *   tables cannot return xmax, so they always answer 201.
 * - With `columns=` (always sent by supabase-js for arrays) the body is not parsed here, as in PostgREST:
 *   malformed JSON then surfaces as PostgreSQL's 400 22P02 rather than PGRST102.
 * - Request bodies are limited to 256 MiB by default (`maxBodyBytes`); larger ones get 413 with Kong's
 *   `{"message":"Request size limit exceeded"}`.
 */
import type http from 'node:http';
import pg from 'pg';
import { DEFAULT_MAX_BODY_BYTES } from './body.js';
import { RestService } from './handler.js';
import { SchemaCache } from './schema-cache.js';
import { loadRoleSettings, type RoleSettings } from './tx-vars.js';

export interface RestHandlerOptions {
  databaseUrl: string;
  jwtSecret: string;
  /** Largest request body accepted (default 256 MiB). */
  maxBodyBytes?: number;
  /** PostgREST's db-max-rows (the Supabase platform uses 1000); default unlimited. */
  maxRows?: number | null;
  /** Size of the connection pool (default 20). */
  poolSize?: number;
  /** Receives unexpected errors (default: printed when DEVSTACK_REST_DEBUG is set). */
  onError?: (error: unknown) => void;
}

export interface RestHandler {
  /** Serve one request whose path starts with /rest/v1. Never rejects: errors become PostgREST error responses. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  close(): Promise<void>;
}

function passwordOf(databaseUrl: string): string[] {
  try {
    const password = new URL(databaseUrl).password;
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

export async function createRestHandler(options: RestHandlerOptions): Promise<RestHandler> {
  let closing = false;
  const report =
    options.onError ??
    ((error: unknown) => {
      if (process.env.DEVSTACK_REST_DEBUG) console.error('[rest]', error);
    });
  // Connections the server drops while we shut down are expected, not worth reporting.
  const onError = (error: unknown) => {
    if (!closing) report(error);
  };
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? 20,
    application_name: 'devstack-rest',
  });
  pool.on('error', onError);
  const cache = new SchemaCache(pool, options.databaseUrl, onError);
  let roleSettings: RoleSettings;
  try {
    await cache.start();
    roleSettings = await loadRoleSettings(pool);
  } catch (error) {
    await cache.close();
    await pool.end();
    throw error;
  }
  const service = new RestService({
    pool,
    cache,
    jwtSecret: options.jwtSecret,
    roleSettings,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxRows: options.maxRows ?? null,
    secrets: passwordOf(options.databaseUrl),
    onError,
  });
  let closed: Promise<void> | null = null;
  return {
    handle: (req, res) => service.handle(req, res),
    close: () => {
      closing = true;
      closed ??= (async () => {
        await cache.close();
        await pool.end();
      })();
      return closed;
    },
  };
}
