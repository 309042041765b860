/** PostgREST's error bodies and the SQLSTATE → HTTP status table (wire spec §1.10). */

export interface ErrorBody {
  code: string;
  details: string | null;
  hint: string | null;
  message: string;
}

/** An error that becomes one PostgREST-style JSON response. */
export class RestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: string | null;
  readonly hint: string | null;
  readonly headers: Record<string, string>;
  /** Kong-style gateway errors carry only `{message}`. */
  readonly gateway: boolean;

  constructor(
    status: number,
    code: string,
    message: string,
    options: {
      details?: string | null;
      hint?: string | null;
      headers?: Record<string, string>;
      gateway?: boolean;
    } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = options.details ?? null;
    this.hint = options.hint ?? null;
    this.headers = options.headers ?? {};
    this.gateway = options.gateway ?? false;
  }

  body(): ErrorBody | { message: string } {
    if (this.gateway) return { message: this.message };
    return { code: this.code, details: this.details, hint: this.hint, message: this.message };
  }
}

export const parseError = (message: string, details: string | null = null): RestError =>
  new RestError(400, 'PGRST100', message, { details });

export const tableNotFound = (schema: string, table: string): RestError =>
  new RestError(404, 'PGRST205', `Could not find the table '${schema}.${table}' in the schema cache`);

export const columnNotFound = (table: string, column: string): RestError =>
  new RestError(400, '42703', `column ${table}.${column} does not exist`);

export const payloadColumnNotFound = (table: string, column: string): RestError =>
  new RestError(400, 'PGRST204', `Could not find the '${column}' column of '${table}' in the schema cache`);

export const invalidBody = (message: string): RestError => new RestError(400, 'PGRST102', message);

/**
 * HTTP status for a PostgreSQL SQLSTATE, as PostgREST's `mapSQLtoHTTP`: `authed` is false when the
 * request runs as the anonymous role (42501 is then 401, else 403).
 */
export function statusForSqlState(code: string, message: string, authed = true): number {
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  const two = code.slice(0, 2);
  if (code === '23503' || code === '23505') return 409;
  if (code === '25006') return 405;
  if (code === '57P01') return 503;
  if (code === '53400' || code === '42P17') return 500;
  if (code === '42883' || code === '42P01') return 404;
  if (code === '42501') return authed ? 403 : 401;
  if (code === 'P0001') return 400;
  if (code === '21000') return message.endsWith('requires a WHERE clause') ? 400 : 500;
  if (code === '22023') return /^role .* does not exist/.test(message) ? 401 : 400;
  switch (two) {
    case '08':
    case '53':
      return 503;
    case '09':
    case '25':
    case '2D':
    case '38':
    case '39':
    case '3B':
    case '40':
    case '54':
    case '55':
    case '57':
    case '58':
    case 'F0':
    case 'HV':
    case 'P0':
    case 'XX':
      return 500;
    case '0L':
    case '0P':
    case '28':
      return 403;
    default:
      return 400;
  }
}

interface PgLikeError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
  severity?: unknown;
}

/**
 * Turn anything thrown while serving a request into a RestError; `secrets` are scrubbed from messages.
 * `authed`: false when the request ran as the anonymous role (statusForSqlState).
 */
export function toRestError(error: unknown, secrets: readonly string[] = [], authed = true): RestError {
  if (error instanceof RestError) return error;
  const scrub = (text: string) => secrets.reduce((acc, s) => (s ? acc.split(s).join('****') : acc), text);
  const e = (typeof error === 'object' && error !== null ? error : {}) as PgLikeError;
  const message = scrub(typeof e.message === 'string' ? e.message : String(error));
  const isDatabaseError =
    typeof e.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
  if (isDatabaseError) {
    const code = e.code as string;
    const status = statusForSqlState(code, message, authed);
    return new RestError(status, code, message, {
      details: typeof e.detail === 'string' ? scrub(e.detail) : null,
      hint: typeof e.hint === 'string' ? scrub(e.hint) : null,
      // PostgREST adds it to every database error it answers with 401.
      headers: status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {},
    });
  }
  const isConnectionError =
    (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) || /connect|terminated|timeout/i.test(message);
  if (isConnectionError) {
    return new RestError(503, 'PGRST001', 'Database client error. Retrying the connection.', {
      details: message,
    });
  }
  return new RestError(500, 'PGRST000', 'Internal error in the local PostgREST stand-in', {
    details: message,
  });
}
