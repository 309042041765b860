/**
 * A project's Postgres reached by its URL for the direct path (SYNC_SOURCE_DATABASE_URL,
 * SYNC_TARGET_DATABASE_URL): a small pool of sessions with fixed settings, the range checksums of
 * `verify` through the same SQL functions the Data API calls, and errors as SyncErrors whose
 * messages never hold the URL's password or row values. Shared by direct-source.ts and direct-target.ts.
 */
import pg from 'pg';
import { SyncError, type TableRef } from '../contracts/ports.js';
import type { RangeChecksums } from '../contracts/range-checksums.js';
import { errorMessage } from '../core/errors.js';
import { tableName } from '../core/names.js';
import { redactIn } from './database.js';
import { rangeChecksums, type RangeCall } from './range-calls.js';

/**
 * Every session: the renderings a text COPY depends on fixed (the same on both sides), and
 * row_security off, so a table whose policies would hide rows from `postgres` fails loudly
 * instead of copying some of them.
 */
const SESSION_SETTINGS =
  "SET standard_conforming_strings = on; SET datestyle = 'ISO, MDY'; SET intervalstyle = 'postgres'; " +
  "SET extra_float_digits = 3; SET bytea_output = 'hex'; SET timezone = 'UTC'; SET row_security = off";
const CONNECT_TIMEOUT_MS = 15_000;

export type Role = 'source' | 'target';

export function variableOf(role: Role): string {
  return `SYNC_${role.toUpperCase()}_DATABASE_URL`;
}

/** The SyncError of a failed database call: what was done, on which side, and what to fix. */
export function databaseError(role: Role, url: string, what: string, error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  const code = (error as { code?: unknown }).code;
  const sqlState = typeof code === 'string' ? code : '';
  let message = redactIn(errorMessage(error), url);
  // A data exception quotes the value it could not take: row data stays out of messages.
  if (sqlState.startsWith('22')) message = message.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');
  const on = `the ${role} database (${variableOf(role)})`;
  if (sqlState.startsWith('28')) {
    return new SyncError(
      `${on}: ${what}: ${message}; check the user and password in ${variableOf(role)}`,
      'auth',
    );
  }
  if (sqlState === '42501') {
    return new SyncError(`${on}: ${what} was refused: ${message}`, 'auth');
  }
  if (sqlState === '42883') {
    return new SyncError(
      `${on}: ${what}: ${message}; apply the migrations to it (\`npx supabase-sync migrate --apply --db-url …\`)`,
      'migration',
    );
  }
  if (sqlState.startsWith('42') || sqlState === '22P02' || sqlState.startsWith('0A')) {
    return new SyncError(`${on}: ${what}: ${message}`, 'schema');
  }
  if (sqlState === '40P01' || sqlState === '40001')
    return new SyncError(`${on}: ${what}: ${message}`, 'conflict');
  return new SyncError(
    `${on}: ${what} failed: ${message}; check ${variableOf(role)} and that it is up`,
    'unavailable',
  );
}

/** The pool and the range checksums both sides share. */
export class DirectDatabase implements Required<RangeChecksums> {
  protected readonly pool: pg.Pool;

  constructor(
    protected readonly role: Role,
    protected readonly url: string,
    /** Sessions at most: the ranges copied at once, and one for the small queries. */
    max: number,
  ) {
    this.pool = new pg.Pool({
      connectionString: url,
      max,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 10_000,
      keepAlive: true,
      application_name: `supabase-sync ${role}`,
    });
    // A session that drops while idle: the pool replaces it; without a listener it would crash the process.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
  }

  /** A session with the settings applied; released with `release(failed)` (a failed one is closed). */
  protected async session(what: string): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw databaseError(this.role, this.url, `${what}: could not connect`, error);
    }
    try {
      await client.query(SESSION_SETTINGS);
      return client;
    } catch (error) {
      client.release(true);
      throw databaseError(this.role, this.url, what, error);
    }
  }

  /** `work` on a session of its own: released when it succeeded, closed when it failed. */
  protected async withSession<T>(what: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.session(what);
    let failed = true;
    try {
      const result = await work(client);
      failed = false;
      return result;
    } catch (error) {
      throw databaseError(this.role, this.url, what, error);
    } finally {
      client.release(failed);
    }
  }

  /** One query on its own session: its rows as objects. */
  protected async query<R extends pg.QueryResultRow>(what: string, text: string, values: unknown[] = []) {
    return this.withSession(what, async (c) => (await c.query<R>(text, values)).rows);
  }

  /** One query on its own session: its rows as arrays of text (key values). */
  protected async queryArrays(what: string, text: string): Promise<string[][]> {
    return this.withSession(what, async (c) => (await c.query<string[]>({ text, rowMode: 'array' })).rows);
  }

  /** A range checksum function called in SQL, by name, with the arguments the API call sends. */
  private async call<T>(ref: TableRef, call: RangeCall): Promise<T> {
    const names = Object.keys(call.args);
    const values = names.map((n) =>
      call.jsonb.includes(n) && call.args[n] !== null ? JSON.stringify(call.args[n]) : call.args[n],
    );
    const params = names.map((n, i) => `${n} => $${i + 1}`).join(', ');
    const rows = await this.query<{ r: T }>(
      `${call.what} of ${tableName(ref)}`,
      `SELECT public.${call.fn}(${params}) AS r`,
      values,
    );
    return rows[0]!.r;
  }

  // verify's range checksums (range-calls.ts).
  private readonly ranges = rangeChecksums((ref, c) => this.call(ref, c));
  readonly summarizeRange = this.ranges.summarizeRange;
  readonly hashRanges = this.ranges.hashRanges;
  readonly listRange = this.ranges.listRange;

  /** Closes every session (idle ones now; one in use when it is released). */
  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
