/**
 * The schema check every path runs before it writes a table (prepare, verify): the table on both
 * projects through the catalog, the configured key checked against the source, and the target's
 * differences from the source (src/core/schema-diff.ts). Blocking differences fail with one line
 * that names each and gives the SQL for the target; the others are returned (and logged) so that
 * status can show them. The worker's metrics see every difference (`deps.observeSchema`).
 */
import type { DriftNote } from '../contracts/activities.js';
import type { TableConfig } from '../contracts/config.js';
import { SyncError } from '../contracts/ports.js';
import type { SchemaDifference } from '../contracts/schema-difference.js';
import type { TableSchema } from '../contracts/table-schema.js';
import { diffTableSchemas, driftMessage } from '../core/schema-diff.js';
import { started } from '../core/started.js';
import type { ActivityDeps } from './deps.js';

/** The newest migration of the supabase-sync functions this worker needs on both projects. */
export const FUNCTIONS_VERSION = 20261202160000;

export interface SchemaCheck {
  source: TableSchema;
  target: TableSchema;
  differences: SchemaDifference[];
}

/** The version of each project's functions, checked in order (the source's error first). */
async function checkFunctions(
  versions: ReadonlyArray<readonly ['source' | 'target', Promise<number | null>]>,
) {
  for (const [role, reading] of versions) {
    const version = await reading;
    if (version === null || version < FUNCTIONS_VERSION) {
      throw new SyncError(
        `the ${role} project has ${version === null ? 'supabase-sync functions older than 20261202120300' : `supabase-sync functions of ${version}`}, this worker needs those of ${FUNCTIONS_VERSION}: apply the migrations it lacks (npx supabase-sync migrate --apply --db-url …, or paste npx supabase-sync migrate into the SQL editor)`,
        'migration',
      );
    }
  }
}

/** Fails when the configured key is not the source's primary key or one of its unique indexes. */
function checkKey(table: TableConfig, source: TableSchema): void {
  const name = table.qualifiedName;
  for (const column of table.primaryKeys) {
    if (!source.columns.some((c) => c.name === column)) {
      throw new SyncError(
        `${name}: primary key column ${column} does not exist on the source (columns: ${source.columns.map((c) => c.name).join(', ')}): fix primaryKeys in the tables config`,
        'config',
      );
    }
  }
  const key = JSON.stringify([...table.primaryKeys].sort());
  const unique = [
    source.primaryKey ?? [],
    ...source.uniques.filter((u) => u.predicate === null).map((u) => u.columns),
  ];
  if (!unique.some((cols) => JSON.stringify([...cols].sort()) === key)) {
    throw new SyncError(
      `${name}: primaryKeys (${table.primaryKeys.join(', ')}) is not the primary key of the table on the source (${source.primaryKey?.join(', ') ?? 'it has none'}) nor one of its unique constraints: fix primaryKeys in the tables config${source.primaryKey ? `, e.g. "primaryKeys": ${JSON.stringify(source.primaryKey)}` : ', or add a primary key to the table'}`,
      'config',
    );
  }
}

/** Differences as the workflow keeps them (what and how to fix; no row data). */
export function driftNotes(differences: SchemaDifference[]): DriftNote[] {
  return differences.map(({ kind, name, message, sql }) => ({
    kind,
    ...(name ? { name } : {}),
    message,
    sql,
  }));
}

export async function checkSchema(
  deps: Pick<ActivityDeps, 'source' | 'target' | 'logger' | 'observeSchema'>,
  table: TableConfig,
): Promise<SchemaCheck> {
  // The four reads at once (each a request to a project); their errors in the order a user fixes them.
  const versions = [
    ['source', started(() => deps.source.functionsVersion())],
    ['target', started(() => deps.target.functionsVersion())],
  ] as const;
  const sourceSchema = started(() => deps.source.readSchema(table));
  const targetSchema = started(() => deps.target.readSchema(table));
  await checkFunctions(versions);
  const name = table.qualifiedName;
  const source = await sourceSchema;
  if (!source.exists) {
    throw new SyncError(
      `${name}: the table does not exist on the source project: create it there, or fix the name in the tables config`,
      'schema',
    );
  }
  checkKey(table, source);
  const target = await targetSchema;
  const differences = diffTableSchemas(source, target);
  deps.observeSchema?.(name, differences);
  if (differences.some((d) => d.blocking)) {
    const message = driftMessage(name, differences);
    deps.logger.error({ table: name, differences: differences.length }, message);
    throw new SyncError(message, 'schema');
  }
  if (differences.length > 0) {
    deps.logger.warn({ table: name, differences: differences.length }, driftMessage(name, differences));
  }
  return { source, target: target as TableSchema, differences };
}

/**
 * A write refused for a schema reason (a column the target lacks, a value that does not fit):
 * the precise drift, with the SQL for the target, instead of the database's own words.
 */
export async function explainSchemaError(
  deps: Pick<ActivityDeps, 'source' | 'target' | 'logger' | 'observeSchema'>,
  table: TableConfig,
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof SyncError) || error.kind !== 'schema') return error;
  try {
    await checkSchema(deps, table);
  } catch (drift) {
    if (drift instanceof SyncError) return drift;
  }
  return error;
}
