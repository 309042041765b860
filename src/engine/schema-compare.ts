/**
 * The two projects' schemas compared: each synced table (src/core/schema-diff.ts) and the app's
 * objects around them — policies, privileges, functions, views, triggers, types (src/core/app-catalog-diff.ts)
 * — with the plan that makes the target match (src/core/schema-plan.ts). Read through the projects'
 * sync functions, so no database URL is needed. Used by `schema diff`, `schema push`, `failover check`
 * and the drift check of a running worker.
 */
import type { AppCatalogReader, AppCatalogScope, AppDifference } from '../contracts/app-catalog.js';
import type { StorageConfig, TableConfig } from '../contracts/config.js';
import type { CatalogReader } from '../contracts/ports.js';
import type { SchemaDifference } from '../contracts/schema-difference.js';
import { diffAppCatalogs } from '../core/app-catalog-diff.js';
import { errorMessage } from '../core/errors.js';
import { diffTableSchemas } from '../core/schema-diff.js';
import { createdTables, schemaPlan, type SchemaStep } from '../core/schema-plan.js';

export interface TableComparison {
  table: string;
  differences?: SchemaDifference[];
  /** Why the table could not be compared. */
  error?: string;
}

export interface SchemaComparison {
  tables: TableComparison[];
  /** The app's objects that differ (empty when they could not be read: `objectsError`). */
  objects: AppDifference[];
  objectsError?: string;
  /** What makes the target match, in the order it runs. */
  plan: SchemaStep[];
}

export type SchemaProject = CatalogReader & AppCatalogReader;

async function compareTable(
  source: CatalogReader,
  target: CatalogReader,
  t: TableConfig,
): Promise<TableComparison> {
  try {
    const [s, g] = await Promise.all([source.readSchema(t), target.readSchema(t)]);
    if (!s.exists) return { table: t.qualifiedName, error: 'the table does not exist on the source' };
    return { table: t.qualifiedName, differences: diffTableSchemas(s, g) };
  } catch (error) {
    return { table: t.qualifiedName, error: errorMessage(error) };
  }
}

/** Each table compared on both projects (one that cannot be read says why). */
export function compareTables(
  source: CatalogReader,
  target: CatalogReader,
  tables: TableConfig[],
): Promise<TableComparison[]> {
  return Promise.all(tables.map((t) => compareTable(source, target, t)));
}

/** What `sync_app_catalog` is asked for: the tables and the buckets of the `storage` key. */
export function appScope(tables: TableConfig[], storage?: StorageConfig): AppCatalogScope {
  return {
    tables: tables.map((t) => t.qualifiedName),
    buckets: storage === undefined ? [] : storage.buckets === '*' ? ['*'] : storage.buckets,
  };
}

/** The app's objects around the tables (policies, privileges, functions, …) compared; throws when a project cannot be read. */
export async function compareAppObjects(
  source: AppCatalogReader,
  target: AppCatalogReader,
  tables: TableConfig[],
  storage?: StorageConfig,
  created: string[] = [],
): Promise<AppDifference[]> {
  const scope = appScope(tables, storage);
  // The target describes the schemas the source does (the synced tables' and those of the functions
  // their policies and triggers call), so an object of one of them missing there is seen.
  const s = await source.readAppCatalog(scope);
  const schemas = s.flatMap((o) => (o.kind === 'schema' ? [o.name] : []));
  const g = await target.readAppCatalog({ ...scope, schemas });
  return diffAppCatalogs(s, g, { createdTables: created });
}

export async function compareSchemas(
  source: SchemaProject,
  target: SchemaProject,
  tables: TableConfig[],
  storage?: StorageConfig,
): Promise<SchemaComparison> {
  const compared = await compareTables(source, target, tables);
  const withDifferences = compared.flatMap((t) =>
    t.differences ? [{ table: t.table, differences: t.differences }] : [],
  );
  let objects: AppDifference[] = [];
  let objectsError: string | undefined;
  try {
    objects = await compareAppObjects(source, target, tables, storage, createdTables(withDifferences));
  } catch (error) {
    objectsError = errorMessage(error);
  }
  return {
    tables: compared,
    objects,
    ...(objectsError !== undefined ? { objectsError } : {}),
    plan: schemaPlan(withDifferences, objects),
  };
}

/** Whether the target matches the source in every compared way (and everything could be compared). */
export function schemasEqual(c: SchemaComparison): boolean {
  return (
    c.objectsError === undefined &&
    c.objects.length === 0 &&
    c.tables.every((t) => t.error === undefined && t.differences!.length === 0)
  );
}
