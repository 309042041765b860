/**
 * PostgREST's filter grammar, for the reads the source adapter makes: values quoted inside logic
 * trees (`or=(…)`), keyset conditions for paging, and key lists for re-reading rows by key.
 * Nothing from a row or the configuration reaches a URL unquoted.
 */
import type { Row } from '../contracts/ports.js';

/** A value inside a PostgREST logic tree (`or=(…)`): double-quoted, with \ and " escaped. */
export function quoteLogicValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Keyset condition "(c1, c2, …) > (v1, v2, …)" in PostgREST's `or` grammar:
 * c1.gt.v1, and(c1.eq.v1, c2.gt.v2), …
 */
export function keysetAfter(columns: string[], values: unknown[]): string {
  const terms: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const equal = columns.slice(0, i).map((c, j) => `${c}.eq.${quoteLogicValue(values[j])}`);
    const greater = `${columns[i]}.gt.${quoteLogicValue(values[i])}`;
    terms.push(equal.length === 0 ? greater : `and(${[...equal, greater].join(',')})`);
  }
  return terms.join(',');
}

/**
 * Narrows a read to the rows after `values` in `columns` order: the keyset `or`, plus a `gte` that
 * repeats its leading bound so Postgres can start the index scan there (it derives no index bound
 * from an OR; without it every page of a pass scans from the start).
 */
export function rowsAfter<Q extends { gte(column: string, value: unknown): Q; or(filters: string): Q }>(
  query: Q,
  columns: string[],
  values: unknown[],
): Q {
  return query.gte(columns[0]!, values[0]).or(keysetAfter(columns, values));
}

/**
 * Narrows a read to the rows with one of `keys`: `key=in.(…)` for a one-column key (built here:
 * supabase-js's `.in()` leaves quotes and backslashes inside a value unescaped), else an `or` of
 * `and(c1.eq.v1, c2.eq.v2)` terms.
 */
export function rowsWithKeys<
  Q extends { filter(column: string, operator: string, value: unknown): Q; or(filters: string): Q },
>(query: Q, primaryKeys: string[], keys: Row[]): Q {
  if (primaryKeys.length === 1) {
    const key = primaryKeys[0]!;
    return query.filter(key, 'in', `(${keys.map((k) => quoteLogicValue(k[key])).join(',')})`);
  }
  const match = (key: Row) =>
    `and(${primaryKeys.map((c) => `${c}.eq.${quoteLogicValue(key[c])}`).join(',')})`;
  return query.or(keys.map(match).join(','));
}
