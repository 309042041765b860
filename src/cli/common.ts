/** What the CLI's commands share: one-line errors with exit codes, config, the Temporal client, table selection. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ConfigError, loadConfig, type SyncConfig, type TableConfig } from '../config/index.js';
import { errorMessage } from '../core/errors.js';
import { connectClient } from '../temporal/connection.js';
import { workflowIdFor } from '../workflows/ids.js';

/** An error shown as one line (`supabase-sync: …`), exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function config(): SyncConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 2);
    throw error;
  }
}

export async function client(cfg: SyncConfig): Promise<Client> {
  try {
    const c = await connectClient(cfg);
    await c.connection.workflowService.getSystemInfo({});
    return c;
  } catch (error) {
    throw new CliError(
      `Temporal is not reachable at ${cfg.temporal.address} (${errorMessage(error)}): start it or set TEMPORAL_ADDRESS`,
    );
  }
}

/** The configured tables named on the command line (`orders` or `public.orders`), or all with --all. */
export function selectTables(
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

export function notRunningMessage(t: TableConfig): string {
  return `${t.qualifiedName}: no running workflow ${workflowIdFor(t)}: start it with \`supabase-sync start ${t.qualifiedName}\` (or npm run sync)`;
}

/** Runs `work` per table, one line each; failures are reported per table and counted. */
export async function withTables(
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
      const id = workflowIdFor(t);
      try {
        console.log(await work(c, t, id));
      } catch (error) {
        failed += 1;
        console.error(
          error instanceof WorkflowNotFoundError
            ? notRunningMessage(t)
            : `${t.qualifiedName}: ${errorMessage(error)}`,
        );
      }
    }
  } finally {
    await c.connection.close();
  }
  if (failed > 0) throw new CliError(`${failed} of ${tables.length} table(s) failed`, 1);
}

/** A positive number of seconds from an option (`--interval 2`, `0.5`). */
export function seconds(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`${option} "${value}": a positive number of seconds`, 2);
  return n;
}

export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

/** `2025-11-24 19:40:12Z`: a compact UTC time. */
export function clock(ms: number | Date): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function duration(ms: number): string {
  const s = Math.max(0, ms / 1000);
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Resolves after `ms`, or at once when `signal` aborts (Ctrl-C in a watch loop). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** An AbortSignal fired by Ctrl-C / SIGTERM, for commands that run until interrupted. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}
