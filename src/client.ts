/**
 * `supabase-sync` CLI: start, pause, resume, stop and inspect the table workflows, and run a
 * reconciliation pass on demand. Reads the same configuration as `npm run sync`.
 */
import { Command } from 'commander';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ConfigError, loadConfig, type SyncConfig, type TableConfig } from './config/index.js';
import { ensureTableWorkflows, searchAttributesRegistered, syncSettings, tableSpec } from './engine.js';
import { connectClient } from './worker.js';
import { workflowIdFor } from './workflows/decisions.js';
import {
  pauseUpdate,
  reconcileNowUpdate,
  resumeUpdate,
  statusQuery,
  stopUpdate,
} from './workflows/messages.js';
import type { TableStatus } from './workflows/types.js';

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function config(): SyncConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 2);
    throw error;
  }
}

async function client(cfg: SyncConfig): Promise<Client> {
  try {
    const c = await connectClient(cfg);
    await c.connection.workflowService.getSystemInfo({});
    return c;
  } catch (error) {
    throw new CliError(
      `Temporal is not reachable at ${cfg.temporal.address} (${(error as Error).message}): start it or set TEMPORAL_ADDRESS`,
    );
  }
}

/** The configured tables named on the command line (`orders` or `public.orders`), or all with --all. */
function selectTables(
  cfg: SyncConfig,
  names: string[],
  all: boolean | undefined,
  allowEmpty = false,
): TableConfig[] {
  if (all || (names.length === 0 && allowEmpty)) return cfg.tables;
  if (names.length === 0) throw new CliError('name at least one table, or pass --all');
  return names.map((name) => {
    const qualified = name.includes('.') ? name : `public.${name}`;
    const found = cfg.tables.find((t) => t.qualifiedName === qualified);
    if (!found) {
      throw new CliError(
        `table "${name}" is not in ${cfg.tableConfigFile} (configured: ${cfg.tables.map((t) => t.qualifiedName).join(', ')})`,
      );
    }
    return found;
  });
}

async function withTables(
  names: string[],
  options: { all?: boolean },
  work: (c: Client, t: TableConfig, id: string) => Promise<string>,
  allowEmpty = false,
): Promise<void> {
  const cfg = config();
  const tables = selectTables(cfg, names, options.all, allowEmpty);
  const c = await client(cfg);
  let failed = 0;
  try {
    for (const t of tables) {
      const id = workflowIdFor(tableSpec(t));
      try {
        console.log(await work(c, t, id));
      } catch (error) {
        failed += 1;
        const message =
          error instanceof WorkflowNotFoundError
            ? `${t.qualifiedName}: no running workflow ${id}: start it with \`supabase-sync start ${t.qualifiedName}\` (or npm run sync)`
            : `${t.qualifiedName}: ${(error as Error).message}`;
        console.error(message);
      }
    }
  } finally {
    await c.connection.close();
  }
  if (failed > 0) throw new CliError(`${failed} of ${tables.length} table(s) failed`, 1);
}

function ago(ms: number | null): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

function statusLine(s: TableStatus): string {
  const c = s.counters;
  const pass = s.lastPass
    ? `${s.lastPass.ok ? 'ok' : 'FAILED'} ${ago(s.lastPass.finishedAt)} (read ${s.lastPass.rowsRead}, written ${s.lastPass.written})`
    : 'none yet';
  const copy = s.initialCopy.done
    ? ''
    : ` | copying ${s.initialCopy.rowsCopied}${s.initialCopy.total !== null ? `/${s.initialCopy.total}` : ''} rows`;
  return [
    `${s.table}: ${s.state}${copy}`,
    `  last pass ${pass}`,
    `  rows upserted: realtime ${c.realtimeWritten}, reconcile ${c.reconcileWritten}; deleted: realtime ${c.realtimeDeleted}, ledger ${c.ledgerDeleted}`,
    `  realtime ${s.realtime.enabled ? (s.realtime.connected ? 'connected' : 'disconnected') : 'off'}, lag ${s.lagSeconds === null ? 'unknown' : `${s.lagSeconds.toFixed(1)} s`}`,
    ...(s.lastError
      ? [`  last error (${s.lastError.where}, ${ago(s.lastError.at)}): ${s.lastError.message}`]
      : []),
  ].join('\n');
}

const program = new Command('supabase-sync')
  .description(
    'Operate the supabase-sync table workflows on Temporal (config: .env.sync and sync/tables.config.json).',
  )
  .showHelpAfterError();

program
  .command('start')
  .description('start the table workflows (a running one is kept); the worker is `npm run sync`')
  .argument('[tables...]', 'tables to start (default: all configured)')
  .option('--all', 'every configured table')
  .action(async (names: string[], options: { all?: boolean }) => {
    const cfg = config();
    const tables = selectTables(cfg, names, options.all, true);
    const c = await client(cfg);
    try {
      const settings = syncSettings(cfg, {
        searchAttributes: await searchAttributesRegistered(c, cfg.temporal.namespace),
      });
      for (const e of await ensureTableWorkflows(c, { ...cfg, tables }, settings)) {
        console.log(
          `${e.table}: ${e.started ? (e.resumed ? 'resumed from its last checkpoint' : 'started') : 'already running'} (${e.workflowId})`,
        );
      }
    } finally {
      await c.connection.close();
    }
  });

program
  .command('pause')
  .description('pause tables: the current batch finishes, the realtime feed stops (acknowledged)')
  .argument('[tables...]')
  .option('--all', 'every configured table')
  .option('--reason <text>', 'shown in the workflow log')
  .action((names: string[], options: { all?: boolean; reason?: string }) =>
    withTables(names, options, async (c, t, id) => {
      const s = await c.workflow
        .getHandle(id)
        .executeUpdate(pauseUpdate, { args: [options.reason ?? 'paused from the CLI'] });
      return `${t.qualifiedName}: ${s.state}`;
    }),
  );

program
  .command('resume')
  .description('resume paused tables (acknowledged)')
  .argument('[tables...]')
  .option('--all', 'every configured table')
  .action((names: string[], options: { all?: boolean }) =>
    withTables(names, options, async (c, t, id) => {
      const s = await c.workflow.getHandle(id).executeUpdate(resumeUpdate);
      return `${t.qualifiedName}: ${s.state}`;
    }),
  );

program
  .command('stop')
  .description('stop table workflows: the current pass finishes and the feed stops (acknowledged)')
  .argument('[tables...]')
  .option('--all', 'every configured table')
  .action((names: string[], options: { all?: boolean }) =>
    withTables(names, options, async (c, t, id) => {
      await c.workflow.getHandle(id).executeUpdate(stopUpdate);
      return `${t.qualifiedName}: stopped`;
    }),
  );

program
  .command('status')
  .description('state, last pass, rows by path, realtime, lag and last error per table')
  .argument('[tables...]', 'default: all configured')
  .option('--json', 'one JSON document (an array of table statuses)')
  .action(async (names: string[], options: { json?: boolean }) => {
    const cfg = config();
    const tables = selectTables(cfg, names, false, true);
    const c = await client(cfg);
    try {
      const statuses: Array<TableStatus | { table: string; state: 'not started' }> = [];
      for (const t of tables) {
        try {
          statuses.push(await c.workflow.getHandle(workflowIdFor(tableSpec(t))).query(statusQuery));
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          statuses.push({ table: t.qualifiedName, state: 'not started' });
        }
      }
      if (options.json) console.log(JSON.stringify(statuses, null, 2));
      else for (const s of statuses) console.log('counters' in s ? statusLine(s) : `${s.table}: not started`);
    } finally {
      await c.connection.close();
    }
  });

program
  .command('reconcile')
  .description('run a reconciliation + deletion pass now, wait for it, and print its result')
  .argument('<table>')
  .option('--since <iso>', 're-read rows changed since this time (ISO 8601)')
  .option('--full', 're-read the whole table')
  .action((name: string, options: { since?: string; full?: boolean }) =>
    withTables([name], {}, async (c, t, id) => {
      const result = await c.workflow
        .getHandle(id)
        .executeUpdate(reconcileNowUpdate, { args: [{ since: options.since, full: options.full }] });
      const p = result.pass;
      if (!result.ok || !p) throw new Error(`pass failed: ${result.error ?? 'unknown error'}`);
      return `${t.qualifiedName}: read ${p.rowsRead}, written ${p.written}, unchanged ${p.skipped}, deletes replayed ${p.deletesReplayed} (${p.deleted} removed) in ${((p.finishedAt - p.startedAt) / 1000).toFixed(1)} s`;
    }),
  );

try {
  await program.parseAsync();
} catch (error) {
  console.error(`supabase-sync: ${(error as Error).message}`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
