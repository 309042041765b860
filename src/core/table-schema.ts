/**
 * What the sync derives from a table as the catalog describes it (src/contracts/table-schema.ts):
 * the columns it writes, the version column, the columns whose Realtime values cannot be trusted.
 * Deterministic, no Node built-ins: workflow code may import it.
 */
import type { TableSchema } from '../contracts/table-schema.js';

/** Types whose values order (for a version column): timestamps, dates and numbers. */
const ORDERABLE = /^(timestamp|date|bigint|integer|smallint|numeric|double precision|real)\b/;

/** The first of `candidates` that is a column of the table with an orderable type, or null. */
export function pickVersionColumn(schema: TableSchema, candidates: readonly string[]): string | null {
  for (const name of candidates) {
    const column = schema.columns.find((c) => c.name === name);
    if (column && ORDERABLE.test(column.type) && !column.type.endsWith('[]')) return name;
  }
  return null;
}

/** Columns the target computes itself (generated): never written, never expected in a change. */
export function generatedColumns(schema: TableSchema): string[] {
  return schema.columns.filter((c) => c.generated !== null).map((c) => c.name);
}

/** Columns a complete Realtime record carries (logical decoding leaves generated columns out). */
export function streamedColumns(schema: TableSchema): string[] {
  return schema.columns.filter((c) => c.generated === null).map((c) => c.name);
}

/**
 * Columns whose Realtime values may not be what the row holds, so a change that sets one is read
 * again from the source: numeric without a declared scale (JSON numbers drop `1.50`'s scale) and
 * bytea (Realtime sends it as the logical decoder renders it, which differs between versions).
 */
export function rereadColumns(schema: TableSchema): string[] {
  return schema.columns
    .filter(
      (c) => c.type === 'numeric' || c.type === 'numeric[]' || c.type === 'bytea' || c.type === 'bytea[]',
    )
    .map((c) => c.name);
}
