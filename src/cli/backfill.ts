/**
 * `supabase-sync backfill TABLE`: restarts the whole-table copy (the workflow's `backfill` update)
 * and follows it by polling the status query and the chunk in flight: a progress bar on a terminal,
 * plain lines otherwise (engine/copy-display.ts), the line `status` shows.
 * A worker must run (checked first); if it stops while the CLI follows, the CLI says so and exits 1.
 */
import { isGrpcDeadlineError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { SyncConfig } from '../contracts/config.js';
import type { CopyProgress, TableStatus } from '../contracts/table-sync.js';
import { copyProgressOf } from '../core/copy-progress.js';
import { errorMessage } from '../core/errors.js';
import { CopyDisplay } from '../engine/copy-display.js';
import { runningCopyChunk } from '../temporal/copy-chunk.js';
import { backfillUpdate, statusQuery } from '../workflows/messages.js';
import { CliError, client, config, interruptSignal, pause, seconds } from './common.js';
import { sendRequest } from './requests.js';
import { selectTargets, withPatternTables, type Target } from './targets.js';
import { noWorkerLine, requireWorker, workerPresence } from './workers.js';

interface Poll {
  status: TableStatus;
  /** The copy's progress: the status' counts plus the chunk in flight (its heartbeat). */
  progress: CopyProgress;
  running: boolean;
  workflowStatus: string;
}

/**
 * The status, then the copy chunk in flight (temporal/copy-chunk.ts). In that order, a chunk that
 * completes in between is missed for one poll (an undercount), never counted twice.
 */
async function poll(c: Client, id: string): Promise<Poll> {
  const handle = c.workflow.getHandle(id);
  const status = await handle.query(statusQuery);
  const description = await handle.describe();
  const chunk = await runningCopyChunk(c, id, status.initialCopy, description.raw.pendingActivities);
  return {
    status,
    progress: copyProgressOf(status.initialCopy, Date.now(), chunk),
    running: description.status.name === 'RUNNING',
    workflowStatus: description.status.name,
  };
}

export function registerBackfill(program: Command): void {
  program
    .command('backfill')
    .description('copy the whole table again (e.g. after a restore of the target), showing progress')
    .argument('<table>')
    .option('--no-wait', 'start the copy and return (follow it with `supabase-sync status TABLE`)')
    .option('--interval <seconds>', 'how often progress is read', '1')
    .action(async (name: string, options: { wait: boolean; interval: string }) => {
      const interval = seconds(options.interval, '--interval');
      const cfg = await withPatternTables(config());
      const [t] = selectTargets(cfg, [name], false) as [Target];
      const c = await client(cfg);
      try {
        await requireWorker(c, cfg.temporal, 'backfill');
        const started = await sendRequest<TableStatus>(
          c,
          t,
          {
            what: 'backfill',
            update: backfillUpdate.name,
            resultTimeoutMs: 120_000,
            waitingFor: 'the pass in flight',
          },
          interruptSignal(),
        );
        console.log(`${t.name}: backfill started: copying the whole table again (workflow ${t.workflowId})`);
        if (started.state === 'paused') {
          console.error(
            `${t.name}: the table is paused: the copy starts when you resume it (supabase-sync resume ${t.name})`,
          );
        }
        if (!options.wait) return;
        await follow(c, cfg, t, interval);
      } finally {
        await c.connection.close();
      }
    });
}

/** The next poll; null when the worker did not answer in time (it may have stopped). */
async function pollWithin(c: Client, id: string, ms: number): Promise<Poll | null> {
  try {
    return await c.withDeadline(Date.now() + ms, () => poll(c, id));
  } catch (error) {
    if (isGrpcDeadlineError(error) || /deadline/i.test(errorMessage(error))) return null;
    throw error;
  }
}

/** The next poll; null when the worker did not answer but one still polls (poll again). */
async function nextPoll(c: Client, cfg: SyncConfig, t: Target): Promise<Poll | null> {
  const next = await pollWithin(c, t.workflowId, 5000);
  if (next) return next;
  const presence = await workerPresence(c, cfg.temporal);
  if (!presence.live) {
    throw new CliError(
      `${t.name}: stopped following: ${noWorkerLine(presence)}; the copy goes on when one polls again (supabase-sync status ${t.name})`,
    );
  }
  return null;
}

/** Polls and shows the copy's progress until it is done or Ctrl-C; the last poll. */
async function watchCopy(
  c: Client,
  cfg: SyncConfig,
  t: Target,
  intervalS: number,
): Promise<Poll | undefined> {
  const table = t.name;
  const interrupted = interruptSignal();
  const display = new CopyDisplay(table);
  let reportedError: number | null = null;
  let last: Poll | undefined;
  try {
    while (!interrupted.aborted) {
      const next = await nextPoll(c, cfg, t);
      if (!next) continue;
      last = next;
      if (last.status.initialCopy.done) break;
      if (!last.running) {
        throw new CliError(`${table}: the workflow ended (${last.workflowStatus}) before the copy finished`);
      }
      display.show(last.progress);
      const err = last.status.lastError;
      if (err && err.at !== reportedError && last.status.state === 'failing') {
        reportedError = err.at;
        console.error(`${table}: copy failing, retrying (${err.where}): ${err.message}`);
      }
      await pause(intervalS * 1000, interrupted);
    }
  } finally {
    display.end(last?.progress);
  }
  return last;
}

async function follow(c: Client, cfg: SyncConfig, t: Target, intervalS: number): Promise<void> {
  const table = t.name;
  const last = await watchCopy(c, cfg, t, intervalS);
  if (interruptSignal().aborted && !last?.status.initialCopy.done) {
    console.log(
      `${table}: stopped following; the copy goes on in the workflow (supabase-sync status ${table})`,
    );
    process.exitCode = 130;
    return;
  }
  console.log(`${table}: backfill done: ${last!.progress.line}`);
}
