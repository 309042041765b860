/**
 * The table workflows' lifecycle from the command line: `start`, `pause`, `resume`, `stop`, and
 * `reconcile` (a pass now, with its result). `start` needs no worker (a started workflow runs when
 * one polls); the others are requests a worker must carry out: refused at once without one, and
 * sent so that they apply now or never (requests.ts).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { SyncConfig, TableConfig } from '../contracts/config.js';
import type { PassOptions, ReconcileResult, TableStatus } from '../contracts/table-sync.js';
import { errorMessage } from '../core/errors.js';
import { syncSettings } from '../config/settings.js';
import { ensureTableWorkflows, isRunning } from '../engine/tables.js';
import { searchAttributesRegistered } from '../temporal/connection.js';
import { workflowIdFor } from '../workflows/ids.js';
import {
  pauseUpdate,
  reconcileNowUpdate,
  resumeUpdate,
  statusQuery,
  stopUpdate,
} from '../workflows/messages.js';
import { passOptionsError } from '../workflows/requests.js';
import { CliError, client, config } from './common.js';
import { sendRequest } from './requests.js';
import { notRunningMessage, selectTables, withPatternTables, withTargets, type Target } from './targets.js';
import { noWorkerLine, workerPresence } from './workers.js';

/** A pause or stop waits for the pass in flight (a chunk of about 20 s) and the feed to end. */
const SETTLE_TIMEOUT_MS = 120_000;
/** A `reconcile` waits for its whole pass. */
const PASS_TIMEOUT_MS = 60 * 60_000;

/** `start`: with a worker, as `npm run sync` does; without one, new workflows wait for it and running ones are kept as they are. */
async function start(cfg: SyncConfig, tables: TableConfig[]): Promise<void> {
  const c = await client(cfg);
  try {
    const settings = syncSettings(cfg, {
      searchAttributes: await searchAttributesRegistered(c, cfg.temporal.namespace),
    });
    const presence = await workerPresence(c, cfg.temporal);
    const kept: TableConfig[] = [];
    const toStart: TableConfig[] = [];
    // Without a worker the running workflows get no new settings (that would wait for one).
    for (const t of tables)
      (!presence.live && (await isRunning(c, workflowIdFor(t))) ? kept : toStart).push(t);
    const ensured = await c.withDeadline(Date.now() + 30_000, () =>
      ensureTableWorkflows(c, { ...cfg, tables: toStart }, settings),
    );
    for (const t of tables) {
      const e = ensured.find((x) => x.table === t.qualifiedName);
      const what = !e
        ? 'already running (its settings are applied when a worker starts: npm run sync)'
        : e.started
          ? e.resumed
            ? 'resumed from its last checkpoint'
            : 'started'
          : 'already running';
      console.log(`${t.qualifiedName}: ${what} (${workflowIdFor(t)})`);
    }
    if (!presence.live && toStart.length > 0) {
      console.error(`supabase-sync: the workflows run when a worker polls: ${noWorkerLine(presence)}`);
    }
  } finally {
    await c.connection.close();
  }
}

/** What the table is doing now (a query: a worker answers it), to say what `resume` changed. */
async function currentState(c: Client, t: Target): Promise<TableStatus['state']> {
  const status = await c.withDeadline(Date.now() + 5000, () =>
    c.workflow.getHandle(t.workflowId).query(statusQuery),
  );
  return status.state;
}

function passLine(t: Target, result: ReconcileResult): string {
  const p = result.pass;
  if (!result.ok || !p) throw new CliError(`${t.name}: pass failed: ${result.error ?? 'unknown error'}`);
  return `${t.name}: read ${p.rowsRead}, written ${p.written}, unchanged ${p.skipped}, deletes replayed ${p.deletesReplayed} (${p.deleted} removed) in ${((p.finishedAt - p.startedAt) / 1000).toFixed(1)} s`;
}

async function pauseTable(
  c: Client,
  t: Target,
  interrupted: AbortSignal,
  reason: string | undefined,
): Promise<string> {
  const s = await sendRequest<TableStatus>(
    c,
    t,
    {
      what: 'pause',
      update: pauseUpdate.name,
      args: [reason ?? 'paused from the CLI'],
      resultTimeoutMs: SETTLE_TIMEOUT_MS,
      waitingFor: 'the pass in flight and the realtime feed',
    },
    interrupted,
  );
  return `${t.name}: ${s.state}`;
}

async function resumeTable(c: Client, t: Target, interrupted: AbortSignal): Promise<string> {
  const before = await currentState(c, t).catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError) throw new CliError(notRunningMessage(t));
    throw new CliError(`${t.name}: no worker answered within 5 s (${errorMessage(error)}); nothing was sent`);
  });
  if (before !== 'paused') return `${t.name}: not paused (${before}): nothing to resume`;
  const s = await sendRequest<TableStatus>(
    c,
    t,
    {
      what: 'resume',
      update: resumeUpdate.name,
      resultTimeoutMs: SETTLE_TIMEOUT_MS,
      waitingFor: 'the workflow',
    },
    interrupted,
  );
  return `${t.name}: resumed (${s.state})`;
}

async function stopTable(c: Client, t: Target, interrupted: AbortSignal): Promise<string> {
  await sendRequest<TableStatus>(
    c,
    t,
    {
      what: 'stop',
      update: stopUpdate.name,
      resultTimeoutMs: SETTLE_TIMEOUT_MS,
      waitingFor: 'the pass in flight and the realtime feed',
    },
    interrupted,
  );
  return `${t.name}: stopped`;
}

async function reconcileTable(
  c: Client,
  t: Target,
  interrupted: AbortSignal,
  pass: PassOptions,
): Promise<string> {
  const result = await sendRequest<ReconcileResult>(
    c,
    t,
    {
      what: 'reconcile',
      update: reconcileNowUpdate.name,
      args: [pass],
      resultTimeoutMs: PASS_TIMEOUT_MS,
      waitingFor: 'its pass',
    },
    interrupted,
  );
  return passLine(t, result);
}

export function registerLifecycle(program: Command): void {
  program
    .command('start')
    .description('start the table workflows (a running one is kept); the worker is `npm run sync`')
    .argument('[tables...]', 'tables to start (default: all configured)')
    .option('--all', 'every configured table')
    .action(async (names: string[], options: { all?: boolean }) => {
      const cfg = await withPatternTables(config());
      await start(cfg, selectTables(cfg, names, options.all, true));
    });

  program
    .command('pause')
    .description('pause tables: the current batch finishes, the realtime feed stops (acknowledged)')
    .argument('[tables...]', 'configured tables, or workflow ids (table-sync:public.orders)')
    .option('--all', 'every configured table')
    .option('--reason <text>', 'shown in the workflow log')
    .action((names: string[], options: { all?: boolean; reason?: string }) =>
      withTargets(names, options, { needsWorker: 'pause' }, (c, t, interrupted) =>
        pauseTable(c, t, interrupted, options.reason),
      ),
    );

  program
    .command('resume')
    .description('resume paused tables (acknowledged)')
    .argument('[tables...]', 'configured tables, or workflow ids (table-sync:public.orders)')
    .option('--all', 'every configured table')
    .action((names: string[], options: { all?: boolean }) =>
      withTargets(names, options, { needsWorker: 'resume' }, resumeTable),
    );

  program
    .command('stop')
    .description('stop table workflows: the current pass finishes and the feed stops (acknowledged)')
    .argument(
      '[tables...]',
      'configured tables, or workflow ids (table-sync:public.old for a table no longer configured)',
    )
    .option('--all', 'every configured table')
    .action((names: string[], options: { all?: boolean }) =>
      withTargets(names, options, { needsWorker: 'stop' }, stopTable),
    );

  program
    .command('reconcile')
    .description('run a reconciliation + deletion pass now, wait for it, and print its result')
    .argument('<table>', 'a configured table, or a workflow id')
    .option('--since <iso>', 're-read rows changed since this time (ISO 8601)')
    .option('--full', 're-read the whole table')
    .action((name: string, options: { since?: string; full?: boolean }) => {
      const pass: PassOptions = { since: options.since, full: options.full };
      // The workflow's own check, here first: a usage error, nothing sent.
      const refused = passOptionsError(pass);
      if (refused)
        throw new CliError(
          `--since "${options.since}": must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z`,
          2,
        );
      return withTargets([name], {}, { needsWorker: 'reconcile' }, (c, t, interrupted) =>
        reconcileTable(c, t, interrupted, pass),
      );
    });
}
