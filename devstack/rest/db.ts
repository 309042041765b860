/**
 * Runs one request as PostgREST does: one transaction, `SET LOCAL ROLE service_role`, the JWT claims in
 * `request.jwt.claims`, then ONE data statement. The setup is sent as a single simple-protocol round trip.
 */
import pg from 'pg';
import { quoteLiteral } from './ident.js';
import type { RestError } from './errors.js';

/** The single row every statement built by sql.ts returns (int8 arrives as text). */
export interface ResultRow {
  total: string | null;
  page_total: string;
  inserted: string | null;
  body: string | null;
}

export interface TransactionContext {
  readOnly: boolean;
  claims: Record<string, unknown>;
  method: string;
  path: string;
}

export async function runStatement(
  pool: pg.Pool,
  context: TransactionContext,
  sql: string,
  values: unknown[],
  /** Decide after the statement: an error here rolls the transaction back and is thrown. */
  check: (row: ResultRow) => RestError | null = () => null,
): Promise<ResultRow> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(
      `BEGIN ISOLATION LEVEL READ COMMITTED${context.readOnly ? ' READ ONLY' : ''}; SET LOCAL ROLE service_role; ` +
        `SELECT set_config('request.jwt.claims', ${quoteLiteral(JSON.stringify(context.claims))}, true), ` +
        `set_config('request.method', ${quoteLiteral(context.method)}, true), ` +
        `set_config('request.path', ${quoteLiteral(context.path)}, true)`,
    );
    let row: ResultRow | undefined;
    try {
      const result = await client.query<ResultRow>({ text: sql, values });
      row = result.rows[0];
    } catch (error) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw error;
    }
    if (!row) throw new Error('statement returned no row');
    const failure = check(row);
    await client.query(failure ? 'ROLLBACK' : 'COMMIT');
    if (failure) throw failure;
    return row;
  } catch (error) {
    if (!broken && !(error instanceof Error && 'severity' in error) && !isRestError(error)) {
      broken = error instanceof Error ? error : new Error(String(error));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

function isRestError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'gateway' in error && 'status' in error;
}
