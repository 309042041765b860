/**
 * `supabase-sync schema push --db-url URL [--dry-run] [--allow-drop] [TABLE…]`: applies the SQL of
 * `schema diff` to the target's database in one transaction, as the non-superuser `postgres` of a
 * hosted project, creating missing tables too: a new backup is `migrate --apply` on both projects,
 * `schema push`, `npm run sync`. Nothing that drops or narrows data (a column, a type in use, a
 * materialized view) without --allow-drop; a policy or function that differs is replaced. What hosted
 * projects forbid (the structure of `auth` and `storage` tables) is left out, one line each.
 * Idempotent: a second push finds nothing to do. Exit 0 when the target then matches, else 1.
 */
import type { Command } from 'commander';
import type { SyncConfig } from '../contracts/config.js';
import type { SchemaStep } from '../core/schema-plan.js';
import { schemasEqual } from '../engine/schema-compare.js';
import { redactDatabaseUrl } from '../supabase/database.js';
import { SchemaApplyError, applySchemaSteps } from '../supabase/schema-apply.js';
import { CliError, config } from './common.js';
import { compareConfigured } from './schema-configured.js';
import { OBJECTS, planSql } from './schema-report.js';

interface PushOptions {
  dbUrl?: string;
  dryRun?: boolean;
  allowDrop?: boolean;
}

/** The hosted project ref in a Supabase URL (`https://<ref>.supabase.co`), if it is one. */
function projectRef(url: string): string | undefined {
  return /^https?:\/\/([a-z0-9]{20})\.supabase\.(co|in)\b/.exec(url)?.[1];
}

function checkDbUrl(cfg: SyncConfig, url: string | undefined, dryRun: boolean): void {
  if (url === undefined) {
    if (dryRun) return;
    throw new CliError("schema push needs --db-url postgres://… (the target's database, as postgres)", 2);
  }
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new CliError(`--db-url ${redactDatabaseUrl(url)}: use a postgres:// or postgresql:// URL`, 2);
  const sourceRef = projectRef(cfg.source.url);
  if (sourceRef !== undefined && url.includes(sourceRef))
    throw new CliError(
      `--db-url ${redactDatabaseUrl(url)} is the source project's database (${sourceRef}): schema push writes to the target's`,
      2,
    );
}

/** The steps push applies, and one line for each it does not. */
function selectSteps(plan: SchemaStep[], allowDrop: boolean): { apply: SchemaStep[]; notes: string[] } {
  const apply: SchemaStep[] = [];
  const notes: string[] = [];
  for (const step of plan) {
    if (step.leftOut) notes.push(`left out: ${step.object}: ${step.leftOut}`);
    else if (step.dropsData && !allowDrop)
      notes.push(`not applied: ${step.object}: it drops or narrows data (--allow-drop applies it)`);
    else apply.push(step);
  }
  return { apply, notes };
}

async function push(names: string[], options: PushOptions): Promise<void> {
  const cfg = config();
  checkDbUrl(cfg, options.dbUrl, options.dryRun === true);
  const before = await compareConfigured(cfg, names);
  const unread = [
    ...before.tables.filter((t) => t.error !== undefined).map((t) => `${t.table}: ${t.error}`),
    ...(before.objectsError !== undefined ? [`${OBJECTS}: ${before.objectsError}`] : []),
  ];
  if (unread.length > 0) throw new CliError(`nothing was applied: could not compare ${unread.join('; ')}`);
  const { apply, notes } = selectSteps(before.plan, options.allowDrop === true);
  for (const note of notes) console.log(note);
  if (options.dryRun) {
    console.log(apply.length === 0 ? 'nothing to apply' : planSql(apply).join('\n'));
    if (!schemasEqual(before)) process.exitCode = 1;
    return;
  }
  const where = redactDatabaseUrl(options.dbUrl!);
  if (apply.length > 0) {
    try {
      await applySchemaSteps(options.dbUrl!, apply);
    } catch (error) {
      if (error instanceof SchemaApplyError) throw new CliError(error.message);
      throw error;
    }
    for (const step of apply) console.log(`applied: ${step.object}`);
  }
  const after = await compareConfigured(cfg, names);
  if (schemasEqual(after)) {
    console.log(`${where}: ${apply.length} change(s) applied; the target matches the source`);
    return;
  }
  const left = after.plan.length;
  console.log(
    `${where}: ${apply.length} change(s) applied; ${left} difference(s) remain (supabase-sync schema diff)`,
  );
  process.exitCode = 1;
}

export function registerSchemaPush(schema: Command): void {
  schema
    .command('push')
    .description(
      "make the target's schema match: create missing tables, policies, functions, grants … in one transaction",
    )
    .argument('[tables...]', 'default: all configured')
    .option('--db-url <url>', "postgres://… URL of the target's database (its postgres user)")
    .option('--dry-run', 'print the SQL it would run, apply nothing')
    .option(
      '--allow-drop',
      'also apply what drops or narrows data (a column, a type in use, a materialized view)',
    )
    .action((names: string[], options: PushOptions) => push(names, options));
}
