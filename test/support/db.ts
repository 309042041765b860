import pg from 'pg';
import { randomBytes } from 'node:crypto';

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/**
 * A schema of the test file's own, created on both projects with USAGE for the API roles: what the
 * app's objects are compared over (`schema diff`, `failover check` compare every function, view and
 * type of a synced table's schema), so other test files' objects in `public` stay out of it.
 */
export async function createTestSchema(schema: string, urls: string[]): Promise<void> {
  for (const url of urls)
    await db(url).query(
      `CREATE SCHEMA ${schema}; GRANT USAGE ON SCHEMA ${schema} TO anon, authenticated, service_role`,
    );
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

/**
 * The tests' usual table, `(id bigint PRIMARY KEY, note text, updated_at)`, created on the source and
 * the target of the test stack, with `rows` rows ('row 1', …) on the source.
 */
export async function createNotesTable(name: string, rows: number): Promise<void> {
  const ddl = `CREATE TABLE public.${name} (id bigint PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())`;
  const source = db(requiredEnv('STACK_SOURCE_DATABASE_URL'));
  await source.query(ddl);
  await db(requiredEnv('STACK_TARGET_DATABASE_URL')).query(ddl);
  await source.query(
    `INSERT INTO public.${name} (id, note) SELECT g, 'row ' || g FROM generate_series(1, ${rows}) g`,
  );
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through test/run.ts`);
  return value;
}

/** Every row of a table as JSON text, ordered by the given key: a direct comparison of two databases. */
export async function tableSnapshot(url: string, table: string, orderBy: string[]): Promise<string[]> {
  const order = orderBy.map((c) => `"${c}"`).join(', ');
  const result = await db(url).query<{ row: string }>(
    `SELECT to_jsonb(t)::text AS row FROM ${table} t ORDER BY ${order}`,
  );
  return result.rows.map((r) => r.row);
}
