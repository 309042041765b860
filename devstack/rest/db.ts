/**
 * Runs one request as PostgREST does: one transaction, PostgREST's transaction settings (tx-vars.ts:
 * the request's role, its JWT claims in `request.jwt.claims`, …), then ONE data statement. The setup is
 * sent as a single simple-protocol round trip; a setup that fails (a role that does not exist, one the
 * login role may not become) rolls the transaction back like a failed statement.
 */
import pg from 'pg';
import type { RestError } from './errors.js';
import { txVarsSql, type RequestVars } from './tx-vars.js';

/** The single row every statement built by sql.ts returns (int8 arrives as text). */
export interface ResultRow {
  total: string | null;
  page_total: string;
  inserted: string | null;
  body: string | null;
}

export interface TransactionContext extends RequestVars {
  readOnly: boolean;
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

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
  let open = true;
  try {
    await client.query(
      `BEGIN ISOLATION LEVEL READ COMMITTED${context.readOnly ? ' READ ONLY' : ''}; ${txVarsSql(context)}`,
    );
    const row = (await client.query<ResultRow>({ text: sql, values })).rows[0];
    if (!row) throw new Error('statement returned no row');
    const failure = check(row);
    if (failure) throw failure;
    open = false;
    await client.query('COMMIT');
    return row;
  } catch (error) {
    if (open) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = asError(e);
      });
    }
    if (!broken && !(error instanceof Error && 'severity' in error) && !isRestError(error)) {
      broken = asError(error);
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

function isRestError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'gateway' in error && 'status' in error;
}
