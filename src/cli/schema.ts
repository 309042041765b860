/**
 * `supabase-sync schema diff [TABLE…] [--json]`: compares the configured tables on both projects
 * through their catalogs (columns, types, nullability, defaults, identity and generated columns,
 * primary keys, unique constraints; src/core/schema-diff.ts) and prints the SQL that makes the
 * target match. Needs no worker. Exit 0 when every table is equal, 1 when not (or a table could not
 * be read), 2 for bad usage or configuration.
 */
import type { Command } from 'commander';
import type { SchemaDifference } from '../contracts/schema-difference.js';
import { errorMessage } from '../core/errors.js';
import { diffTableSchemas } from '../core/schema-diff.js';
import { connectSource } from '../supabase/source.js';
import { connectTarget } from '../supabase/target.js';
import { config } from './common.js';
import { selectTables } from './targets.js';
import { resolveTables } from '../engine/resolve-tables.js';

interface TableDiff {
  table: string;
  differences?: SchemaDifference[];
  error?: string;
}

export function diffReport(diffs: TableDiff[]): string {
  const lines: string[] = [];
  for (const d of diffs) {
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
  const sql = diffs.flatMap((d) => (d.differences ?? []).map((x) => x.sql));
  if (sql.length > 0)
    lines.push('', '-- SQL that makes the target match the source (run it on the target):', ...sql);
  return lines.join('\n');
}

export function registerSchema(program: Command): void {
  const schema = program.command('schema').description('compare the tables on both projects');
  schema
    .command('diff')
    .description(
      'compare the configured tables on both projects and print the SQL that makes the target match',
    )
    .argument('[tables...]', 'default: all configured')
    .option('--json', 'one JSON document: the differences per table')
    .action(async (names: string[], options: { json?: boolean }) => {
      const cfg = config();
      const source = connectSource(cfg.source);
      const target = connectTarget(cfg.target);
      const resolved = await resolveTables(cfg, source);
      const tables = selectTables({ ...cfg, tables: resolved.tables }, names, false, true);
      const diffs = await Promise.all(
        tables.map(async (t): Promise<TableDiff> => {
          try {
            const [s, g] = await Promise.all([source.readSchema(t), target.readSchema(t)]);
            if (!s.exists) return { table: t.qualifiedName, error: 'the table does not exist on the source' };
            return { table: t.qualifiedName, differences: diffTableSchemas(s, g) };
          } catch (error) {
            return { table: t.qualifiedName, error: errorMessage(error) };
          }
        }),
      );
      console.log(options.json ? JSON.stringify(diffs, null, 2) : diffReport(diffs));
      if (diffs.some((d) => d.error !== undefined || d.differences!.length > 0)) process.exitCode = 1;
    });
}
