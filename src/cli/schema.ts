/**
 * `supabase-sync schema diff [TABLE…] [--json]` and `schema push --db-url URL`: the configured tables
 * and the app's objects around them (policies, privileges, functions, views, triggers, types,
 * extensions, the Realtime publication) compared on both projects through their sync functions
 * (src/engine/schema-compare.ts), with the SQL that makes the target match. Needs no worker.
 * diff: exit 0 when everything is equal, 1 when not (or something could not be read), 2 for bad usage.
 */
import type { Command } from 'commander';
import { schemasEqual } from '../engine/schema-compare.js';
import { config } from './common.js';
import { compareConfigured } from './schema-configured.js';
import { diffJson, diffReport } from './schema-report.js';
import { registerSchemaPush } from './schema-push.js';

export function registerSchema(program: Command): void {
  const schema = program
    .command('schema')
    .description('compare the tables, policies, privileges and functions on both projects');
  schema
    .command('diff')
    .description(
      'compare the configured tables and what the app needs around them; print the SQL that makes the target match',
    )
    .argument('[tables...]', 'default: all configured')
    .option('--json', 'one JSON document: {tables, objects, sql}')
    .action(async (names: string[], options: { json?: boolean }) => {
      const comparison = await compareConfigured(config(), names);
      console.log(options.json ? diffJson(comparison) : diffReport(comparison));
      if (!schemasEqual(comparison)) process.exitCode = 1;
    });
  registerSchemaPush(schema);
}
