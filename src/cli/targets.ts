/**
 * The tables a command acts on: configured tables named `orders` or `public.orders` (or all with
 * --all), and, where a command accepts them, table workflows named by id (`table-sync:public.old`),
 * which is how a table no longer in the tables file is reached. Unknown names are usage errors (exit 2).
 */
import type { Client } from '@temporalio/client';
import type { SyncConfig, TableConfig } from '../contracts/config.js';
import { errorMessage } from '../core/errors.js';
import { resolveTables } from '../engine/resolve-tables.js';
import { connectSource } from '../supabase/source.js';
import { syncTableFromWorkflowId, workflowIdFor } from '../workflows/ids.js';
import { CliError, client, config, interruptSignal } from './common.js';
import { requireWorker } from './workers.js';

export interface Target {
  /** `public.orders` */
  name: string;
  workflowId: string;
  /** The tables file's entry; absent for a workflow named by id whose table is no longer configured. */
  table?: TableConfig;
}

/** What a request to a target whose workflow is not running says. */
export function notRunningMessage(t: Target): string {
  return t.table
    ? `${t.name}: no running workflow ${t.workflowId}: start it with \`supabase-sync start ${t.name}\` (or npm run sync)`
    : `${t.name}: no running workflow ${t.workflowId}`;
}

/**
 * The configuration with the tables file's patterns resolved against the source's catalog, as
 * `npm run sync` does at start, so a table selected by a pattern is named like a listed one (and
 * is not taken for a table no longer configured). Without patterns, the file's tables as they are.
 */
export async function withPatternTables(cfg: SyncConfig): Promise<SyncConfig> {
  if (!cfg.tablePatterns) return cfg;
  try {
    return { ...cfg, tables: (await resolveTables(cfg, connectSource(cfg.source))).tables };
  } catch (error) {
    throw new CliError(
      `${cfg.tableConfigFile} selects tables by pattern, and the source's tables could not be listed: ${errorMessage(error)}`,
    );
  }
}

export function targetOf(table: TableConfig): Target {
  return { name: table.qualifiedName, workflowId: workflowIdFor(table), table };
}

/** The configured tables named on the command line, or all with --all (or with no names when allowed). */
export function selectTables(
  cfg: SyncConfig,
  names: string[],
  all: boolean | undefined,
  allowEmpty = false,
): TableConfig[] {
  if (all || (names.length === 0 && allowEmpty)) return cfg.tables;
  if (names.length === 0) throw new CliError('name at least one table, or pass --all', 2);
  return names.map((name) => findTable(cfg, name, false));
}

/** A configured table; `ids`: the command also takes workflow ids (and its message says so). */
function findTable(cfg: SyncConfig, name: string, ids: boolean): TableConfig {
  const qualified = name.includes('.') ? name : `public.${name}`;
  const found = cfg.tables.find((t) => t.qualifiedName === qualified);
  if (found) return found;
  const id = workflowIdFor({
    schema: qualified.split('.')[0]!,
    table: qualified.split('.').slice(1).join('.'),
  });
  throw new CliError(
    `table "${name}" is not in ${cfg.tableConfigFile} (configured: ${cfg.tables.map((t) => t.qualifiedName).join(', ') || 'none'})${ids ? `; the workflow of a table no longer configured is named by its id, e.g. ${id}` : ''}`,
    2,
  );
}

/** Like selectTables, and a `table-sync:<schema>.<table>` id names that workflow, configured or not. */
export function selectTargets(
  cfg: SyncConfig,
  names: string[],
  all: boolean | undefined,
  allowEmpty = false,
): Target[] {
  if (all || names.length === 0) return selectTables(cfg, names, all, allowEmpty).map(targetOf);
  return names.map((name) => {
    const byId = syncTableFromWorkflowId(name);
    if (byId === undefined) return targetOf(findTable(cfg, name, true));
    const table = cfg.tables.find((t) => t.qualifiedName === byId);
    return table ? targetOf(table) : { name: byId, workflowId: name };
  });
}

export interface TargetsRun {
  /** The command needs a worker (named so in the message): checked once, before anything is sent. */
  needsWorker?: string;
  /** No names means every configured table (else: name one, or --all). */
  allowEmpty?: boolean;
}

/**
 * Runs `work` per target, one line each; failures are reported per table and counted (exit 1).
 * Ctrl-C stops before the next table and says which tables got nothing (exit 130).
 */
export async function withTargets(
  names: string[],
  options: { all?: boolean },
  run: TargetsRun,
  work: (c: Client, t: Target, interrupted: AbortSignal) => Promise<string>,
): Promise<void> {
  const cfg = await withPatternTables(config());
  const targets = selectTargets(cfg, names, options.all, run.allowEmpty);
  const c = await client(cfg);
  const interrupted = interruptSignal();
  let failed = 0;
  try {
    if (run.needsWorker) await requireWorker(c, cfg.temporal, run.needsWorker);
    for (const [i, t] of targets.entries()) {
      if (interrupted.aborted) {
        const rest = targets.slice(i).map((x) => x.name);
        throw new CliError(`interrupted: nothing was sent to ${rest.join(', ')}`, 130);
      }
      try {
        console.log(await work(c, t, interrupted));
      } catch (error) {
        if (error instanceof CliError && error.exitCode === 130) throw error;
        failed += 1;
        console.error(error instanceof CliError ? error.message : `${t.name}: ${errorMessage(error)}`);
      }
    }
  } finally {
    await c.connection.close();
  }
  if (failed > 0) throw new CliError(`${failed} of ${targets.length} table(s) failed`, 1);
}
