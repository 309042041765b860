/**
 * What PostgREST sets at the start of each request's transaction (PostgREST/postgrest
 * src/library/PostgREST/Query/PreQuery.hs `txVarQuery`, the same in v12's Query.hs `setPgLocals`), in
 * its order, all transaction-local: `search_path` (the request's schema, then the extra search path:
 * Supabase's `public, extensions`), the settings of the request's role (`ALTER ROLE … SET`, which a
 * `SET ROLE` would not apply: anon's 3 s and authenticated's 8 s statement_timeout), `role`,
 * `request.jwt.claims`, `request.method`, `request.path` (after the gateway strips `/rest/v1`),
 * `request.headers` (every header but Cookie, names lower case, as JSON) and `request.cookies`.
 */
import type http from 'node:http';
import type pg from 'pg';
import { quoteIdent, quoteLiteral } from './ident.js';

/** Supabase's `db-extra-search-path`. */
const EXTRA_SEARCH_PATH = ['public', 'extensions'];

/** Per role: the settings PostgREST applies when it switches to it. */
export type RoleSettings = ReadonlyMap<string, ReadonlyArray<readonly [string, string]>>;

/**
 * PostgREST's `queryRoleSettings`, run once as the login role: the `ALTER ROLE … SET` settings of the
 * roles it may become that it may set (context `user`, or `GRANT SET ON PARAMETER`), values lower-cased;
 * default_transaction_isolation is left out (PostgREST uses it as the transaction's isolation level).
 */
export async function loadRoleSettings(pool: pg.Pool): Promise<RoleSettings> {
  const { rows } = await pool.query<{ rolname: string; key: string; value: string }>(`
    WITH role_setting AS (
      SELECT r.rolname, unnest(r.rolconfig) AS setting
      FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
      WHERE m.member = current_user::regrole::oid
    ), kv AS (
      SELECT rolname, substr(setting, 1, strpos(setting, '=') - 1) AS key,
             lower(substr(setting, strpos(setting, '=') + 1)) AS value
      FROM role_setting
    )
    SELECT kv.rolname, kv.key, kv.value FROM kv JOIN pg_settings ps ON ps.name = kv.key
    WHERE kv.key <> 'default_transaction_isolation'
      AND (ps.context = 'user' OR has_parameter_privilege(current_user::regrole::oid, ps.name, 'set'))
    ORDER BY kv.rolname, kv.key`);
  const settings = new Map<string, Array<readonly [string, string]>>();
  for (const row of rows) {
    const list = settings.get(row.rolname) ?? [];
    list.push([row.key, row.value]);
    settings.set(row.rolname, list);
  }
  return settings;
}

export interface RequestVars {
  role: string;
  claims: Record<string, unknown>;
  schema: string;
  method: string;
  /** The path PostgREST sees: without `/rest/v1`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  roleSettings: RoleSettings;
}

/** `Cookie: a=1; b=2` → `{"a":"1","b":"2"}` (Web.Cookie's parseCookies; a later name wins). */
function cookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (header ?? '').split(';')) {
    const trimmed = pair.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    out[eq < 0 ? trimmed : trimmed.slice(0, eq)] = eq < 0 ? '' : trimmed.slice(eq + 1);
  }
  return out;
}

function headersJson(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'cookie' || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The `SELECT set_config(…), …` that starts a request's transaction. */
export function txVarsSql(vars: RequestVars): string {
  const set = (name: string, value: string) =>
    `set_config(${quoteLiteral(name)}, ${quoteLiteral(value)}, true)`;
  const searchPath = [vars.schema, ...EXTRA_SEARCH_PATH].map(quoteIdent).join(', ');
  const cookie = vars.headers.cookie;
  return `SELECT ${[
    set('search_path', searchPath),
    ...(vars.roleSettings.get(vars.role) ?? []).map(([name, value]) => set(name, value)),
    set('role', vars.role),
    set('request.jwt.claims', JSON.stringify(vars.claims)),
    set('request.method', vars.method),
    set('request.path', vars.path),
    set('request.headers', JSON.stringify(headersJson(vars.headers))),
    set('request.cookies', JSON.stringify(cookies(Array.isArray(cookie) ? cookie.join('; ') : cookie))),
  ].join(', ')}`;
}
