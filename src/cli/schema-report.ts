/**
 * What `schema diff` prints: each table equal or its differences, the app's objects (policies,
 * privileges, functions, views, triggers, types) equal or theirs, then the SQL that makes the target
 * match, each step under a comment naming its object. With --json, the same as one document.
 */
import type { SchemaComparison } from '../engine/schema-compare.js';
import type { SchemaStep } from '../core/schema-plan.js';

/** How the report names the app's objects besides the tables. */
export const OBJECTS = 'policies, privileges, functions, views, triggers, types';

/** The steps as SQL a person runs on the target; what push leaves out is shown commented out. */
export function planSql(plan: SchemaStep[]): string[] {
  if (plan.length === 0) return [];
  const lines = ['SET check_function_bodies = off;'];
  for (const step of plan) {
    if (step.leftOut) {
      lines.push(
        `-- ${step.object}: left out (${step.leftOut}):`,
        ...step.sql.map((s) => `-- ${s.replace(/\n/g, '\n-- ')}`),
      );
      continue;
    }
    lines.push(`-- ${step.object}${step.dropsData ? ' (drops or narrows data)' : ''}`, ...step.sql);
  }
  return lines;
}

export function diffReport(c: SchemaComparison): string {
  const lines: string[] = [];
  for (const d of c.tables) {
    if (d.error !== undefined) {
      lines.push(`${d.table}: not compared: ${d.error}`);
    } else if (d.differences!.length === 0) {
      lines.push(`${d.table}: equal`);
    } else {
      const blocking = d.differences!.filter((x) => x.blocking).length;
      lines.push(
        `${d.table}: ${d.differences!.length} difference(s)${blocking > 0 ? `, ${blocking} stopping the sync of the table` : ''}`,
      );
      for (const x of d.differences!) lines.push(`  ${x.blocking ? '!' : '-'} ${x.message}`);
    }
  }
  if (c.objectsError !== undefined) lines.push(`${OBJECTS}: not compared: ${c.objectsError}`);
  else if (c.objects.length === 0) lines.push(`${OBJECTS}: equal`);
  else {
    lines.push(`${OBJECTS}: ${c.objects.length} difference(s)`);
    for (const d of c.objects) lines.push(`  - ${d.message}`);
  }
  const sql = planSql(c.plan);
  if (sql.length > 0)
    lines.push(
      '',
      '-- SQL that makes the target match the source (run it on the target, or: supabase-sync schema push --db-url …):',
      ...sql,
    );
  return lines.join('\n');
}

export function diffJson(c: SchemaComparison): string {
  return JSON.stringify(
    {
      tables: c.tables,
      objects: c.objects,
      ...(c.objectsError ? { objectsError: c.objectsError } : {}),
      sql: planSql(c.plan),
    },
    null,
    2,
  );
}
