/**
 * `supabase-sync schedule create|describe|pause|unpause|trigger|delete`: the reconcile-only mode
 * on a Temporal Schedule (src/temporal/schedules.ts). The worker (`npm run sync`) must be running on the
 * same task queue for scheduled runs to execute.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowFailedError,
  type Client,
} from '@temporalio/client';
import { Command, Option } from 'commander';
import type { SyncConfig } from '../contracts/config.js';
import { errorMessage } from '../core/errors.js';
import {
  describeSchedule,
  triggerSchedule,
  type RecentRun,
  type ScheduleReport,
} from '../temporal/schedule-report.js';
import {
  DEFAULT_SCHEDULE_ID,
  ScheduleUsageError,
  createReconcileSchedule,
  parseEvery,
} from '../temporal/schedules.js';
import type { ReconcileScheduleResult } from '../workflows/reconcile-schedule.js';
import type { VerifyTablesResult } from '../workflows/verify.js';
import { CliError, client, clock, config } from './common.js';
import { awaitRun } from './runs.js';
import { selectTables, withPatternTables } from './targets.js';
import { noWorkerLine, workerPresence } from './workers.js';

const idOption = () => new Option('--id <scheduleId>', 'schedule id').default(DEFAULT_SCHEDULE_ID);

/** Connects, runs `work`, closes; a missing schedule is one line, exit 1. */
async function withClient<T>(scheduleId: string, work: (c: Client) => Promise<T>): Promise<T> {
  const c = await client(config());
  try {
    return await work(c);
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) {
      throw new CliError(
        `no schedule "${scheduleId}": create it with \`supabase-sync schedule create --every 5m\``,
      );
    }
    throw error;
  } finally {
    await c.connection.close();
  }
}

/** A recent run in one line: its result per table, or why it failed. */
function runSummary(run: RecentRun): string | undefined {
  if (run.failure !== undefined) return run.failure;
  const result = run.result;
  if (!result) return undefined;
  if ('equal' in result) return verifySummary(result);
  return result.tables
    .map(
      (t) =>
        `${t.table} ${t.ok ? 'ok' : 'FAILED'}: read ${t.rowsRead}, written ${t.written}, deletes replayed ${t.deletesReplayed}${t.resumed ? '' : ' (first run: full copy)'}`,
    )
    .join('; ');
}

/** A `verifyTables` run in one line (for a verify schedule). */
function verifySummary(result: VerifyTablesResult): string {
  return result.tables
    .map((t) => {
      const r = t.result;
      if (!r) return `${t.table} FAILED: ${t.error ?? 'unknown error'}`;
      const found = `${r.missing} missing, ${r.extra} extra, ${r.different} different`;
      if (r.repair)
        return `${t.table} ${r.equal ? 'repaired' : 'NOT EQUAL'}: ${found}, ${r.repair.written} written, ${r.repair.deleted} deleted`;
      return `${t.table} ${r.equal ? `OK ${r.sourceRows} rows` : `DIFFERENT: ${found}`}`;
    })
    .join('; ');
}

/** The report as `describe --json` prints it: each recent run with a one-line summary. */
export type ScheduleReportJson = ReturnType<typeof reportJson>;

function reportJson(r: ScheduleReport) {
  return {
    ...r,
    recent: r.recent.map((run) => ({
      workflowId: run.workflowId,
      runId: run.runId,
      scheduledAt: run.scheduledAt,
      takenAt: run.takenAt,
      status: run.status,
      summary: runSummary(run),
    })),
  };
}

function renderReport(r: ScheduleReport): string {
  const lines = [
    `schedule ${r.scheduleId}: ${r.paused ? 'PAUSED' : 'active'}${r.note ? ` (${r.note})` : ''}`,
    `  spec: ${r.spec}; overlap: ${r.overlap.toLowerCase()}`,
    `  tables: ${r.tables.join(', ') || '(none)'}`,
    `  runs: workflow ${r.workflowType ?? '?'} on task queue ${r.taskQueue ?? '?'}; ${r.actionsTaken} taken, ${r.skippedOverlap} skipped (overlap), ${r.missedCatchupWindow} missed`,
    `  next runs: ${r.paused ? '(paused)' : r.nextRuns.map((d) => clock(d)).join(', ') || 'none'}`,
    `  running: ${r.running.join(', ') || 'none'}`,
    `  recent runs:${r.recent.length === 0 ? ' none yet' : ''}`,
    ...r.recent
      .slice()
      .reverse()
      .map(
        (a) =>
          `    ${clock(a.takenAt)} ${a.status.toLowerCase()} ${a.workflowId}${runSummary(a) !== undefined ? ` — ${runSummary(a)}` : ''}`,
      ),
  ];
  return lines.join('\n');
}

function resultSummary(result: ReconcileScheduleResult): string {
  return result.tables
    .map(
      (t) =>
        `${t.table}: ${t.ok ? 'ok' : 'FAILED'} — read ${t.rowsRead}, written ${t.written}, unchanged ${t.skipped}, deletes replayed ${t.deletesReplayed} (${t.deleted} removed)${t.resumed ? ', from the last checkpoint' : ', first run (full copy)'}${t.error ? `: ${t.error}` : ''}`,
    )
    .join('\n');
}

interface CreateOptions {
  id: string;
  every?: string;
  cron?: string;
  paused?: boolean;
  replace?: boolean;
}

/** One of --every and --cron, and --every a valid interval: else exit 2. */
function checkTiming(options: CreateOptions): void {
  if ((options.every === undefined) === (options.cron === undefined)) {
    throw new CliError('give one of --every (e.g. 5m) or --cron (e.g. "*/5 * * * *")', 2);
  }
  try {
    if (options.every !== undefined) parseEvery(options.every);
  } catch (error) {
    if (error instanceof ScheduleUsageError) throw new CliError(error.message, 2);
    throw error;
  }
}

async function create(names: string[], options: CreateOptions): Promise<void> {
  checkTiming(options);
  const cfg = await withPatternTables(config());
  const tables = selectTables(cfg, names, false, true);
  const c = await client(cfg);
  try {
    const outcome = await createReconcileSchedule(c, cfg, {
      scheduleId: options.id,
      timing: options.every !== undefined ? { every: options.every } : { cron: options.cron! },
      tables,
      paused: options.paused,
      replace: options.replace,
    });
    const report = await describeSchedule(c, options.id, 0);
    console.log(
      `schedule ${options.id} ${outcome}: ${report.spec}, ${tables.length} table(s) (${tables.map((t) => t.qualifiedName).join(', ')}), task queue ${cfg.temporal.taskQueue}${report.paused ? ', paused' : `, next run ${report.nextRuns[0] ? clock(report.nextRuns[0]) : '?'}`}`,
    );
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) {
      throw new CliError(
        `schedule "${options.id}" already exists: \`supabase-sync schedule describe --id ${options.id}\`, or pass --replace`,
      );
    }
    const message = errorMessage(error);
    if (options.cron !== undefined && /cron|invalid/i.test(message)) {
      throw new CliError(`--cron "${options.cron}": ${message}`, 2);
    }
    throw error;
  } finally {
    await c.connection.close();
  }
}

async function unpause(c: Client, options: { id: string; note?: string }): Promise<void> {
  await c.schedule.getHandle(options.id).unpause(options.note ?? 'unpaused from the CLI');
  const report = await describeSchedule(c, options.id, 0);
  console.log(
    `schedule ${options.id}: active, next run ${report.nextRuns[0] ? clock(report.nextRuns[0]) : '?'}`,
  );
}

async function trigger(c: Client, options: { id: string; wait?: boolean }): Promise<void> {
  const cfg = config();
  // --wait needs a worker to run it; without, the run starts when one polls.
  const presence = await workerPresence(c, cfg.temporal);
  if (options.wait && !presence.live) {
    throw new CliError(`trigger --wait needs a worker: ${noWorkerLine(presence)}; nothing was triggered`);
  }
  const run = await triggerSchedule(c, options.id);
  if (!run) {
    throw new CliError(
      `schedule ${options.id}: no run started (a run is still in progress: see \`supabase-sync schedule describe --id ${options.id}\`)`,
    );
  }
  console.log(`schedule ${options.id}: started ${run.workflowId}`);
  if (!presence.live) console.error(`supabase-sync: it runs when a worker polls: ${noWorkerLine(presence)}`);
  if (options.wait) await awaitTriggered(c, cfg, run);
}

/** `trigger --wait`: the run's result per table; exit 1 if it failed. */
async function awaitTriggered(
  c: Client,
  cfg: SyncConfig,
  run: { workflowId: string; runId: string },
): Promise<void> {
  try {
    const result = await awaitRun<ReconcileScheduleResult>(
      c,
      cfg,
      c.workflow.getHandle(run.workflowId, run.runId),
      { what: `run ${run.workflowId}`, terminate: false },
    );
    console.log(resultSummary(result));
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      const details = (error.cause as { details?: unknown[] } | undefined)?.details?.[0] as
        ReconcileScheduleResult | undefined;
      if (details?.tables) console.log(resultSummary(details));
      throw new CliError(`${run.workflowId} failed: ${error.cause?.message ?? error.message}`);
    }
    throw error;
  }
}

export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description(
      'run reconcile-only passes on a Temporal Schedule (create|describe|pause|unpause|trigger|delete)',
    );

  schedule
    .command('create')
    .description('create the schedule: one reconcile-only pass per table each tick (overlap: skip)')
    .argument('[tables...]', 'default: all configured')
    .addOption(idOption())
    .option('--every <interval>', 'e.g. 30s, 5m, 1h')
    .option('--cron <expression>', 'cron expression in UTC, e.g. "*/5 * * * *"')
    .option('--paused', 'create it paused')
    .option('--replace', 'replace a schedule with the same id')
    .action(create);

  schedule
    .command('describe')
    .description('spec, tables, next run times and recent runs with their results')
    .addOption(idOption())
    .option('--json', 'as JSON')
    .action((options: { id: string; json?: boolean }) =>
      withClient(options.id, async (c) => {
        const report = await describeSchedule(c, options.id);
        console.log(options.json ? JSON.stringify(reportJson(report), null, 2) : renderReport(report));
      }),
    );

  schedule
    .command('pause')
    .description('stop taking scheduled runs (a run in progress finishes)')
    .addOption(idOption())
    .option('--note <text>', 'why (shown by describe)')
    .action((options: { id: string; note?: string }) =>
      withClient(options.id, async (c) => {
        await c.schedule.getHandle(options.id).pause(options.note ?? 'paused from the CLI');
        console.log(`schedule ${options.id}: paused`);
      }),
    );

  schedule
    .command('unpause')
    .description('take scheduled runs again')
    .addOption(idOption())
    .option('--note <text>', 'shown by describe')
    .action((options: { id: string; note?: string }) => withClient(options.id, (c) => unpause(c, options)));

  schedule
    .command('trigger')
    .description('run it now (skipped if a run is in progress)')
    .addOption(idOption())
    .option('--wait', 'wait for the run and print its result (exit 1 if a table failed)')
    .action((options: { id: string; wait?: boolean }) => withClient(options.id, (c) => trigger(c, options)));

  schedule
    .command('delete')
    .description('delete the schedule (a run in progress finishes; checkpoints are kept)')
    .addOption(idOption())
    .action((options: { id: string }) =>
      withClient(options.id, async (c) => {
        await c.schedule.getHandle(options.id).delete();
        console.log(`schedule ${options.id}: deleted`);
      }),
    );
}
