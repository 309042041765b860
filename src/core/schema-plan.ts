/**
 * The SQL that makes the target's schema match the source's, in the order it runs: the app's
 * objects only on the target dropped first, then schemas, extensions and types, then the tables (created, or
 * their columns changed: src/core/schema-diff.ts), then functions, row level security, constraints,
 * views, indexes, policies, triggers, privileges and the publication (src/core/app-catalog-diff.ts).
 * `schema diff` prints it; `schema push` runs it. Pure, no Node built-ins.
 */
import type { AppDifference } from '../contracts/app-catalog.js';
import type { SchemaDifference } from '../contracts/schema-difference.js';

/** One object's change: its statements, whether they drop or narrow data, and why it is left to a person. */
export interface SchemaStep {
  object: string;
  sql: string[];
  dropsData: boolean;
  leftOut?: string;
}

export interface TableDifferences {
  /** "schema.table" */
  table: string;
  differences: SchemaDifference[];
}

const EARLY: ReadonlySet<AppDifference['kind']> = new Set([
  'schema',
  'extension',
  'enum',
  'domain',
  'composite',
]);
const PLATFORM_SCHEMAS = new Set(['auth', 'storage']);

function tableStep(table: string, d: SchemaDifference): SchemaStep {
  const schema = table.split('.')[0]!;
  const object = d.kind === 'table-missing' ? `table ${table}` : d.name ? `${table}: ${d.name}` : table;
  return {
    object,
    sql: [d.sql],
    // A column dropped, or retyped (which may narrow its values).
    dropsData: d.kind === 'column-extra' || d.kind === 'type',
    ...(PLATFORM_SCHEMAS.has(schema)
      ? { leftOut: `hosted projects do not let postgres change the structure of ${table}` }
      : {}),
  };
}

function appStep(d: AppDifference): SchemaStep {
  return {
    object: d.object,
    sql: d.sql,
    dropsData: d.dropsData,
    ...(d.leftOut ? { leftOut: d.leftOut } : {}),
  };
}

export function schemaPlan(tables: TableDifferences[], app: AppDifference[]): SchemaStep[] {
  const early = app.filter((d) => d.change === 'extra' || EARLY.has(d.kind));
  const late = app.filter((d) => !(d.change === 'extra' || EARLY.has(d.kind)));
  return [
    ...early.map(appStep),
    ...tables.flatMap((t) => t.differences.map((d) => tableStep(t.table, d))),
    ...late.map(appStep),
  ];
}

/** The tables the plan creates (their privileges start empty). */
export function createdTables(tables: TableDifferences[]): string[] {
  return tables.filter((t) => t.differences.some((d) => d.kind === 'table-missing')).map((t) => t.table);
}
