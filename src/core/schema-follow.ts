/**
 * What `"schema": {"follow": true}` (the tables file) lets the schema watch apply to the target by
 * itself (src/engine/schema-watch.ts): only what adds, as PeerDB does for added columns. That is a
 * synced table or a column of one the target lacks, and a schema, extension, type, function, view,
 * index, policy, trigger or publication membership that is missing there, and the privileges the
 * target lacks (the GRANT half of a privileges difference). Never a drop, a revoke of what the target
 * has, a definition replaced (a function, view, policy or trigger that differs stays a difference),
 * a constraint (it checks the rows already there) or row level security settings of a table the
 * target has (those of a table follow creates are applied with it), nor a step that drops data or
 * that hosted projects leave to a person: `schema push` applies those. Pure, no Node built-ins.
 */
import type { AppDifference, AppObjectKind } from '../contracts/app-catalog.js';
import { createdTables, schemaPlan, type SchemaStep, type TableDifferences } from './schema-plan.js';

/** The app's objects follow creates when they are missing on the target. */
const CREATED: ReadonlySet<AppObjectKind> = new Set([
  'schema',
  'extension',
  'enum',
  'domain',
  'composite',
  'function',
  'view',
  'matview',
  'index',
  'policy',
  'trigger',
  'privileges',
  'publication',
]);

/** What follow creates only with the table it belongs to (a table the target has may hold rows they refuse). */
const WITH_THE_TABLE: ReadonlySet<AppObjectKind> = new Set(['rls', 'constraint']);

/** Table differences that only add: the table, or a column. */
const ADDED_TO_TABLES = new Set(['table-missing', 'column-missing']);

const GRANT = /^\s*GRANT\s/i;

/**
 * The difference as follow applies it, or null when it leaves it to a person: a missing object
 * whole, a privileges difference as its GRANT statements alone. `created`: the tables ("schema.table")
 * follow creates, whose constraints and row level security come with them.
 */
export function followable(d: AppDifference, created: ReadonlySet<string> = new Set()): AppDifference | null {
  if (d.dropsData || d.leftOut !== undefined || d.change === 'extra') return null;
  if (WITH_THE_TABLE.has(d.kind))
    return d.change === 'missing' && [...created].some((t) => d.object.endsWith(` ${t}`)) ? d : null;
  if (!CREATED.has(d.kind)) return null;
  if (d.kind === 'privileges') {
    const grants = d.sql.filter((s) => GRANT.test(s));
    return grants.length === 0 ? null : { ...d, sql: grants };
  }
  return d.change === 'missing' ? d : null;
}

/**
 * Whether every statement of the step only adds: none drops, truncates or deletes, and a REVOKE only
 * in a step that creates its object (the defaults a new function or view is created with, revoked so
 * that it gets exactly the source's privileges). A last guard over what `followSteps` selects.
 */
export function onlyAdds(step: SchemaStep): boolean {
  const creates = step.sql.some((s) => /^\s*CREATE\s/i.test(s));
  return step.sql.every(
    (s) => !/^\s*(DROP|TRUNCATE|DELETE)\s/i.test(s) && (creates || !/^\s*REVOKE\s/i.test(s)),
  );
}

/** The steps follow applies, in the order they run (src/core/schema-plan.ts). */
export function followSteps(tables: TableDifferences[], objects: AppDifference[]): SchemaStep[] {
  const added = tables
    .map((t) => ({ table: t.table, differences: t.differences.filter((d) => ADDED_TO_TABLES.has(d.kind)) }))
    .filter((t) => t.differences.length > 0);
  const created = new Set(createdTables(added));
  const applied = objects.flatMap((d) => followable(d, created) ?? []);
  return schemaPlan(added, applied).filter(
    (s) => s.sql.length > 0 && !s.dropsData && s.leftOut === undefined && onlyAdds(s),
  );
}
