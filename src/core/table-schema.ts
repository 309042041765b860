/**
 * A table as the catalog describes it (`sync_table_schema` in
 * supabase/migrations/20261202120000_sync_catalog.sql), and what the sync derives from it: the
 * columns it writes, the version column, the columns whose Realtime values cannot be trusted.
 * Deterministic, no Node built-ins: workflow code may import it.
 */

export interface ColumnSchema {
  name: string;
  /** `format_type` of the column: `bigint`, `character varying(20)`, `public.status`, `text[]`. */
  type: string;
  notNull: boolean;
  /** The default expression (not for generated columns), or null. */
  default: string | null;
  identity: 'always' | 'by default' | null;
  /** The expression of a generated column, or null. */
  generated: string | null;
  /** A collation other than the type's default, or null. */
  collation: string | null;
}

export interface UniqueSchema {
  name: string;
  /** Key columns or expressions, as pg_get_indexdef renders them (`email`, `lower(slug)`). */
  columns: string[];
  predicate: string | null;
  nullsNotDistinct: boolean;
  /** Backed by a UNIQUE constraint (else a unique index). */
  constraint: boolean;
  /** `CREATE UNIQUE INDEX name ON schema.table USING btree (…)` */
  definition: string;
}

export interface PartitionSchema {
  name: string;
  parent: string;
  /** `FOR VALUES FROM (…) TO (…)` */
  bound: string;
  leaf: boolean;
}

export interface TableSchema {
  exists: true;
  schema: string;
  table: string;
  kind: 'table' | 'partitioned';
  columns: ColumnSchema[];
  primaryKey: string[] | null;
  uniques: UniqueSchema[];
  partitionKey: string | null;
  partitions: PartitionSchema[];
  rls: boolean;
  replicaIdentity: string;
  /** service_role may SELECT it (and use its schema): Realtime streams it only then. */
  serviceRoleSelect: boolean;
  /**
   * The names its changes are published under in supabase_realtime (`schema.table`): the table, or
   * its partitions when the publication does not publish via the root; empty when not published.
   */
  publishedAs: string[];
  /** Columns that lead an index (cheap to order and find the newest by). */
  versionIndexed: Record<string, boolean>;
}

export interface MissingTable {
  exists: false;
  schema: string;
  table: string;
}

export type TableSchemaResult = TableSchema | MissingTable;

/** One table of `sync_list_tables`: what a pattern in the tables file can select. */
export interface TableListing {
  schema: string;
  table: string;
  kind: 'table' | 'partitioned';
  primaryKey: string[] | null;
}

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
