/** Source and target compared directly in Postgres, row by row (`to_jsonb(t)::text` in key order). */
import { tableSnapshot } from './db.js';
import { testStack } from './stack-env.js';
import { waitFor } from './wait.js';

/** Both sides of `public.<name>` (or `schema.table` when the name has a dot). */
export async function snapshots(name: string, key: string[] = ['id']): Promise<[string[], string[]]> {
  const stack = testStack();
  const table = name.includes('.') ? name : `public.${name}`;
  return Promise.all([
    tableSnapshot(stack.source.databaseUrl, table, key),
    tableSnapshot(stack.target.databaseUrl, table, key),
  ]);
}

export async function inSync(name: string, key: string[] = ['id']): Promise<boolean> {
  const [s, t] = await snapshots(name, key);
  return JSON.stringify(s) === JSON.stringify(t);
}

/** Waits until the target equals the source; on timeout, says where they first differ. */
export async function waitInSync(
  name: string,
  options: { key?: string[]; timeoutMs?: number; what?: string } = {},
): Promise<void> {
  const key = options.key ?? ['id'];
  await waitFor(() => inSync(name, key), {
    timeoutMs: options.timeoutMs ?? 10_000,
    message: async () => {
      const [s, t] = await snapshots(name, key);
      const i = s.findIndex((row, j) => row !== t[j]);
      const at = i === -1 ? s.length : i;
      return `${options.what ?? name}: source has ${s.length} rows, target ${t.length}; first difference at ${at}:\n  source ${s[at]}\n  target ${t[at]}`;
    },
  });
}
