/**
 * The tables of the freshness-by-kind figure (bench/kinds-figure.ts) and the change each makes: one
 * table per kind of change (insert, update, delete, TRUNCATE) and per shape, with a version column
 * (`id` key, `updated_at`) or without one (a tags-like join table: composite key `(a, b)`, no
 * timestamp). Every change is on a key of its own, so "the target equals the source for it" is one
 * look-up: present with its `v`, or absent. Keys are `b` (unique) in both shapes.
 */
import type { TableConfig } from '../src/contracts/config.js';
import { table } from '../test/support/sync.js';
import { q } from './lib.js';

export const KINDS = ['insert', 'update', 'delete', 'truncate'] as const;
export type Kind = (typeof KINDS)[number];
export type Shape = 'version' | 'none';

export interface KindTable {
  name: string;
  kind: Kind;
  shape: Shape;
  config: TableConfig;
}

/** One table per kind and shape, `prefix` naming ours apart from native's. */
export function kindTables(prefix: string): KindTable[] {
  return KINDS.flatMap((kind) =>
    (['version', 'none'] as const).map((shape) => {
      const name = `${prefix}_${kind}_${shape === 'version' ? 'v' : 'nv'}`;
      const config =
        shape === 'version' ? table(name, { primaryKeys: ['b'] }) : table(name, { primaryKeys: ['a', 'b'] });
      return { name, kind, shape, config };
    }),
  );
}

const ddl = (t: KindTable) =>
  t.shape === 'version'
    ? `CREATE TABLE public.${t.name} (b bigint PRIMARY KEY, v int NOT NULL, updated_at timestamptz NOT NULL DEFAULT clock_timestamp())`
    : `CREATE TABLE public.${t.name} (a bigint NOT NULL, b bigint NOT NULL UNIQUE, v int NOT NULL, PRIMARY KEY (a, b))`;

/** Creates the table on both servers, `rows` rows (keys 1..rows, v = 0) on the source. */
export async function createKindTable(sourceUrl: string, targetUrl: string, t: KindTable, rows: number) {
  for (const url of [sourceUrl, targetUrl]) {
    await q(url, ddl(t));
    await q(url, `GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.${t.name} TO service_role`);
  }
  const cols = t.shape === 'version' ? 'b, v' : 'a, b, v';
  const vals = t.shape === 'version' ? 'g, 0' : 'g % 7, g, 0';
  await q(sourceUrl, `INSERT INTO public.${t.name} (${cols}) SELECT ${vals} FROM generate_series(1, $1) g`, [
    rows,
  ]);
  await q(sourceUrl, `VACUUM (ANALYZE) public.${t.name}`);
}

/** What the target must hold for a change to count as arrived. */
export type Expect = { key: number; present: true; v: number } | { key: number; present: false };

/**
 * Makes the `seq`-th change of `t` (seq from 1): a new key, an existing key's `v`, an existing key
 * gone. For TRUNCATE tables, the change is an insert (the load around it); `truncate` is apart.
 */
export async function change(url: string, t: KindTable, seq: number, rows: number): Promise<Expect> {
  const stamp = t.shape === 'version' ? ', updated_at = clock_timestamp()' : '';
  switch (t.kind) {
    case 'update':
      await q(url, `UPDATE public.${t.name} SET v = $1${stamp} WHERE b = $2`, [seq, seq]);
      return { key: seq, present: true, v: seq };
    case 'delete':
      await q(url, `DELETE FROM public.${t.name} WHERE b = $1`, [seq]);
      return { key: seq, present: false };
    default: {
      const key = rows + seq;
      const cols = t.shape === 'version' ? 'b, v' : 'a, b, v';
      const vals = t.shape === 'version' ? '$1, $2' : '$1 % 7, $1, $2';
      await q(url, `INSERT INTO public.${t.name} (${cols}) VALUES (${vals})`, [key, seq]);
      return { key, present: true, v: seq };
    }
  }
}

/** TRUNCATE, and the newest key it removed (the target must hold no key up to it). */
export async function truncate(url: string, t: KindTable): Promise<number> {
  const rows = await q<{ max: string | null }>(url, `SELECT max(b) AS max FROM public.${t.name}`);
  await q(url, `TRUNCATE public.${t.name}`);
  return Number(rows[0]?.max ?? 0);
}
