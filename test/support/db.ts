import pg from 'pg';
import { randomBytes } from 'node:crypto';

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** A small pool per database URL, closed by `closeDatabases()` at the end of a test file. */
const pools = new Map<string, pg.Pool>();

export function db(url: string): pg.Pool {
  let pool = pools.get(url);
  if (!pool) {
    pool = new pg.Pool({ connectionString: url, max: 4 });
    pools.set(url, pool);
  }
  return pool;
}

export async function closeDatabases(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end()));
}

/** Every row of a table as JSON text, ordered by the given key: a direct comparison of two databases. */
export async function tableSnapshot(url: string, table: string, orderBy: string[]): Promise<string[]> {
  const order = orderBy.map((c) => `"${c}"`).join(', ');
  const result = await db(url).query<{ row: string }>(
    `SELECT to_jsonb(t)::text AS row FROM ${table} t ORDER BY ${order}`,
  );
  return result.rows.map((r) => r.row);
}
