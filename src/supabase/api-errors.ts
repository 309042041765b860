/**
 * API errors as one clear line a user can act on: which project, what failed, how to fix it. Never
 * the key, and no row data: Postgres puts row values in the details of integrity errors and in the
 * message of data errors, and this line is stored in the table's status, in workflow history.
 */
import { SyncError, type TableRef } from '../contracts/ports.js';
import type { ProjectConnection } from './client.js';
import { oneLine } from '../core/errors.js';
import { tableName } from '../core/names.js';

/** Upsert requests are split so none carries more than this much JSON (gateways cap request bodies). */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/** An API error's text in a message is cut at this length (and kept on one line). */
const MAX_DETAIL_CHARS = 500;

/** The migration that holds each group of the functions the adapters call. */
export const MIGRATIONS = {
  ledger: 'supabase/migrations/20261202120300_sync_ledger_v2.sql',
  verify: 'supabase/migrations/20251124120000_sync_verify.sql',
  apply: 'supabase/migrations/20261202120200_sync_apply_v2.sql',
  applyMany: 'supabase/migrations/20261208140000_sync_apply_many.sql',
  catalog: 'supabase/migrations/20261202120000_sync_catalog.sql',
  reads: 'supabase/migrations/20261202120100_sync_reads.sql',
  feed: 'supabase/migrations/20261202130000_sync_feed_checks.sql',
  feedBatch: 'supabase/migrations/20261202160000_sync_feed_batch.sql',
  sequences: 'supabase/migrations/20261202141400_sync_sequences.sql',
  storage: 'supabase/migrations/20261202150000_sync_storage.sql',
  appCatalog: 'supabase/migrations/20261207120000_sync_app_catalog.sql',
  appFingerprint: 'supabase/migrations/20261207130000_sync_app_fingerprint.sql',
  changeLog: 'supabase/migrations/20261207150000_sync_change_log.sql',
  estimate: 'supabase/migrations/20261208100000_sync_estimate_rows.sql',
} as const;
export type MigrationName = keyof typeof MIGRATIONS;

/** What an unreachable (or failing) project's errors say, after `<role> project (<url>): <what> failed, `. */
const UNREACHABLE = 'the API is unreachable or failing';

/** A project that could not be reached: which one, and why in a few words (`connection refused`). */
export interface Unreachable {
  role: 'source' | 'target';
  url: string;
  cause: string;
}

/** The network cause in an error's text, in a few words (Node's fetch names it in its details). */
function networkCause(text: string, status: number): string {
  const causes: Array<[RegExp, string]> = [
    [/ECONNREFUSED/, 'connection refused'],
    [/ENOTFOUND|EAI_AGAIN/, 'host not found'],
    [/ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|Connect Timeout/i, 'connection timed out'],
    [/ECONNRESET|UND_ERR_SOCKET|other side closed/, 'connection reset'],
    [/EHOSTUNREACH|ENETUNREACH/, 'host unreachable'],
    [/CERT|certificate|TLS/, 'TLS failed'],
  ];
  for (const [pattern, cause] of causes) if (pattern.test(text)) return cause;
  if (status > 0) return `HTTP ${status}`;
  return /fetch failed/.test(text) ? 'fetch failed' : 'no answer';
}

/**
 * The project an error (as `apiError` or Storage words it, anywhere in `message`) could not
 * reach, and why; undefined for any other error. Lets a report give one line per unreachable
 * project, not one per call.
 */
export function unreachableIn(message: string): Unreachable | undefined {
  const m =
    /\b(source|target) project \(([^)\s]+)\): .*?(?:failed, (?:the API|Storage) is unreachable|failed \(5\d\d )/.exec(
      message,
    );
  if (!m) return undefined;
  const status = Number(/\(HTTP (\d+)\)|failed \((5\d\d) /.exec(message)?.slice(1).find(Boolean) ?? 0);
  return {
    role: m[1] as Unreachable['role'],
    url: m[2]!.replace(/\/\/[^/@]*@/, '//'),
    cause: networkCause(message, status),
  };
}

/** An error as PostgREST (and supabase-js, for network errors) reports it. */
export interface ApiError {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
}

export interface FailedCall {
  /** What was being done, e.g. "writing rows". */
  what: string;
  ref?: TableRef;
  error: ApiError;
  status: number;
  /** The migration whose functions the call needs (for "functions are missing"). */
  migration?: MigrationName;
}

/** "<what>: <details> — <hint>" without row values. */
function describe(error: ApiError): string {
  const code = error.code ?? '';
  const rowData = code.startsWith('22') || code.startsWith('23');
  const message = code.startsWith('22')
    ? (error.message ?? '').replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    : error.message;
  // A network error's details are "TypeError: fetch failed\n\nCaused by: …" plus a stack: keep the cause.
  const details = rowData ? null : (error.details ?? null)?.replace(/\n\s*at .*/g, '');
  return oneLine(
    [details && message && details.startsWith(message) ? null : message, details, error.hint]
      .filter((s) => s)
      .join(' — '),
    MAX_DETAIL_CHARS,
  );
}

function missingFunctions(migration: MigrationName): string {
  return migration === 'verify'
    ? `the supabase-sync verify functions are missing: apply ${MIGRATIONS.verify} to it (\`npx supabase-sync migrate\`)`
    : `the supabase-sync functions are missing: apply ${MIGRATIONS[migration]} to it (\`npx supabase-sync migrate --apply\` applies every migration it lacks; npm run sync applies nothing itself)`;
}

/** The SyncError for a failed API call: its kind says whether retrying can help. */
export function apiError(project: ProjectConnection, call: FailedCall): SyncError {
  const { what, ref, error, status } = call;
  const table = ref ? tableName(ref) : '';
  const on = `${project.role} project (${project.url})`;
  const variable = `SYNC_${project.role.toUpperCase()}_SUPABASE`;
  const code = error.code ?? '';
  const detail = describe(error);
  if (status === 401 || status === 403 || code === '42501' || /^PGRST30/.test(code)) {
    return new SyncError(
      `${on}: ${what} was refused (HTTP ${status}${code ? ` ${code}` : ''}): check ${variable}_SERVICE_ROLE_KEY is that project's service role key`,
      'auth',
    );
  }
  if (status === 0 || status >= 500 || code.startsWith('08') || /^PGRST00[012]$/.test(code)) {
    return new SyncError(
      `${on}: ${what} failed, ${UNREACHABLE} (HTTP ${status}): ${detail}: check ${variable}_URL and that the project is up`,
      'unavailable',
    );
  }
  // Concurrent writers on the same rows or unique values (a deadlock, a serialization failure, or a
  // unique value taken between a check and a write): nothing was written; trying again succeeds.
  if (code === '40P01' || code === '40001' || code === '23505') {
    return new SyncError(
      `${on}: ${what}${table ? ` on ${table}` : ''} met a concurrent write (${code}); it is tried again`,
      'conflict',
    );
  }
  if (code === 'PGRST202' || (code === '42883' && /sync_/.test(error.message ?? ''))) {
    return new SyncError(`${on}: ${missingFunctions(call.migration ?? 'ledger')}`, 'migration');
  }
  if (status === 404 || code === '42P01' || code === 'PGRST205') {
    return new SyncError(
      `${on}: table ${table} does not exist (${detail}): create it, or fix the tables config`,
      'schema',
    );
  }
  if (code === '42703' || code === 'PGRST204') {
    return new SyncError(
      `${on}: ${what} on ${table}: ${detail}: make the table's columns match the tables config and the other project`,
      'schema',
    );
  }
  if (code === '42P10') {
    return new SyncError(
      `${on}: ${what} on ${table}: primaryKeys (${ref?.primaryKeys.join(', ') ?? '?'}) is not the table's primary key or a unique constraint there: fix primaryKeys in the tables config (or add that primary key to the table)`,
      'schema',
    );
  }
  if (code.startsWith('22')) {
    return new SyncError(
      `${on}: ${what} on ${table}: a value does not fit its column (${code}: ${detail}): make the column types of ${table} on the target match the source`,
      'schema',
    );
  }
  if (status === 413) {
    return new SyncError(
      `${on}: ${what} on ${table}: the API refused a request this large (HTTP 413; rows are sent in requests of at most ${MAX_REQUEST_BYTES / 1024 / 1024} MB, a larger row alone): raise the API's request body limit, or keep such large values out of the table (e.g. in Storage)`,
      'request',
    );
  }
  return new SyncError(
    `${on}: ${what}${table ? ` on ${table}` : ''} failed (HTTP ${status}${code ? ` ${code}` : ''}): ${detail}`,
    'request',
  );
}
