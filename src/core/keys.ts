/**
 * A row's primary key: its values (a page cursor) and its identity as text (to match rows, ledger
 * entries and Realtime changes of the same key). Deterministic, no Node built-ins.
 */
import type { KeyTextValues, KeyValues, Row } from '../contracts/ports.js';

/** The key's values in primary-key order, as the row holds them. */
export function keyValues(primaryKeys: readonly string[], row: Row): KeyValues {
  return primaryKeys.map((k) => (row[k] ?? null) as KeyValues[number]);
}

/**
 * The key as one string, equal for the same key however it arrived: from a REST row, from the
 * ledger's jsonb or from a Realtime payload (numbers and booleans as their text, strings as they are).
 */
export function keyText(primaryKeys: readonly string[], row: Row): string {
  return JSON.stringify(
    primaryKeys.map((k) => {
      const value = row[k];
      if (value === null || value === undefined) return null;
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
        return String(value);
      return JSON.stringify(value);
    }),
  );
}

/** Only the key columns of a row, or undefined when one of them is missing from it. */
export function keyOnly(primaryKeys: readonly string[], row: Row | undefined): Row | undefined {
  if (!row || !primaryKeys.every((k) => row[k] !== undefined)) return undefined;
  return Object.fromEntries(primaryKeys.map((k) => [k, row[k]]));
}

/** A key-only row from the key's text values (as verify and the truncate clean-up list them). */
export function keyRow(primaryKeys: readonly string[], key: KeyTextValues): Row {
  return Object.fromEntries(primaryKeys.map((k, i) => [k, key[i] ?? null]));
}
