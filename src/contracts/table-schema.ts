/**
 * A table as the catalog describes it (`sync_table_schema` and `sync_list_tables` in
 * supabase/migrations/20261202120000_sync_catalog.sql): columns, keys, unique indexes, partitions.
 * What the sync derives from it is src/core/table-schema.ts's.
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
