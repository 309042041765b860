/**
 * `supabase-sync backfill TABLE`: restarts the whole-table copy (the workflow's `backfill` update)
 * and follows it by polling the status query: a progress bar on a terminal, plain lines otherwise.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { errorMessage } from '../core/errors.js';
import { workflowIdFor } from '../workflows/ids.js';
import { backfillUpdate, statusQuery } from '../workflows/messages.js';
import type { TableStatus } from '../workflows/types.js';
import {
  CliError,
  client,
  config,
  duration,
  interruptSignal,
  notRunningMessage,
  pause,
  seconds,
  selectTables,
} from './common.js';

interface Poll {
  status: TableStatus;
  /** Rows of the chunk in flight (its heartbeat), not yet in the status' `rowsCopied`. */
  inflight: number;
  running: boolean;
  workflowStatus: string;
}

/**
 * The status, then the copy chunk in flight. In that order, a chunk that completes in between is
 * missed for one poll (an undercount), never counted twice.
 */
async function poll(c: Client, id: string): Promise<Poll> {
  const handle = c.workflow.getHandle(id);
  const status = await handle.query(statusQuery);
  const description = await handle.describe();
  let inflight = 0;
  if (!status.initialCopy.done) {
    for (const activity of description.raw.pendingActivities ?? []) {
      if (activity.activityType?.name !== 'reconcileChunk') continue;
      const payload = activity.heartbeatDetails?.payloads?.[0];
      if (!payload) continue;
      try {
        const details = defaultPayloadConverter.fromPayload<{ rowsRead?: unknown }>(payload);
        if (typeof details?.rowsRead === 'number') inflight += details.rowsRead;
      } catch {
        // unreadable heartbeat: the chunk counts when it completes
      }
    }
  }
  return {
    status,
    inflight,
    running: description.status.name === 'RUNNING',
    workflowStatus: description.status.name,
  };
}

function rate(rows: number, ms: number): number {
  return ms > 0 ? (rows * 1000) / ms : 0;
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
      const cfg = config();
      const [table] = selectTables(cfg, [name], false);
      const t = table!;
      const id = workflowIdFor(t);
      const c = await client(cfg);
      try {
        let started: TableStatus;
        try {
          started = await c.workflow.getHandle(id).executeUpdate(backfillUpdate);
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) throw new CliError(notRunningMessage(t));
          throw new CliError(`${t.qualifiedName}: backfill not accepted: ${errorMessage(error)}`);
        }
        console.log(`${t.qualifiedName}: backfill started: copying the whole table again (workflow ${id})`);
        if (started.state === 'paused') {
          console.error(
            `${t.qualifiedName}: the table is paused: the copy starts when you resume it (supabase-sync resume ${t.qualifiedName})`,
          );
        }
        if (!options.wait) return;
        await follow(c, id, t.qualifiedName, interval);
      } finally {
        await c.connection.close();
      }
    });
}

async function follow(c: Client, id: string, table: string, intervalS: number): Promise<void> {
  const interrupted = interruptSignal();
  const tty = process.stdout.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar({
        // Until the workflow has counted the source rows, rows and rate only (no made-up 100%).
        format: (options, params, payload: { rate: number; totalKnown: boolean }) => {
          if (!payload.totalKnown)
            return `${table} ${params.value} rows | ${payload.rate} rows/s | counting…`;
          const size = options.barsize ?? 40;
          const filled = Math.round(Math.min(1, params.progress) * size);
          const eta = Number.isFinite(params.eta) && params.eta > 0 ? duration(params.eta * 1000) : '0s';
          return `${table} [${'█'.repeat(filled)}${'░'.repeat(size - filled)}] ${Math.floor(params.progress * 100)}% | ${params.value}/${params.total} rows | ${payload.rate} rows/s | ETA ${eta}`;
        },
        stream: process.stdout,
        hideCursor: true,
        etaBuffer: 20,
      })
    : undefined;
  const began = Date.now();
  let shown = 0;
  let lastLine = '';
  let lastLineAt = 0;
  let reportedError: number | null = null;
  let barStarted = false;
  let last: Poll | undefined;
  try {
    while (!interrupted.aborted) {
      last = await poll(c, id);
      const copy = last.status.initialCopy;
      if (copy.done) break;
      if (!last.running) {
        throw new CliError(`${table}: the workflow ended (${last.workflowStatus}) before the copy finished`);
      }
      const total = copy.total;
      shown = Math.max(shown, copy.rowsCopied + last.inflight);
      if (total !== null) shown = Math.min(shown, Math.max(total, copy.rowsCopied));
      const elapsed = Date.now() - began;
      const perSecond = rate(shown, elapsed);
      const barTotal = Math.max(total ?? 0, shown, 1);
      if (bar) {
        if (!barStarted) {
          bar.start(barTotal, shown, { rate: Math.round(perSecond), totalKnown: total !== null });
          barStarted = true;
        } else {
          bar.setTotal(barTotal);
          bar.update(shown, { rate: Math.round(perSecond), totalKnown: total !== null });
        }
      } else {
        const eta =
          total !== null && perSecond > 0 ? `, ETA ${duration(((total - shown) / perSecond) * 1000)}` : '';
        const pct = total ? ` (${Math.floor((shown * 100) / total)}%)` : '';
        const line = `${table}: ${shown}/${total ?? '?'} rows${pct}, ${Math.round(perSecond)} rows/s${eta}`;
        // Print on change, and every 10 s while nothing changes (so a pipe shows it is alive).
        const progressPart = line.replace(/, \d+ rows\/s.*$/, '');
        if (progressPart !== lastLine || Date.now() - lastLineAt >= 10_000) {
          console.log(line);
          lastLine = progressPart;
          lastLineAt = Date.now();
        }
      }
      const err = last.status.lastError;
      if (err && err.at !== reportedError && last.status.state === 'failing') {
        reportedError = err.at;
        console.error(`${table}: copy failing, retrying (${err.where}): ${err.message}`);
      }
      await pause(intervalS * 1000, interrupted);
    }
  } finally {
    if (bar && barStarted) {
      if (last?.status.initialCopy.done) {
        const copied = last.status.initialCopy.rowsCopied;
        bar.setTotal(Math.max(copied, 1));
        bar.update(copied, { rate: Math.round(rate(copied, Date.now() - began)), totalKnown: true });
      }
      bar.stop();
    }
  }
  if (interrupted.aborted && !last?.status.initialCopy.done) {
    console.log(
      `${table}: stopped following; the copy goes on in the workflow (supabase-sync status ${table})`,
    );
    process.exitCode = 130;
    return;
  }
  const copy = last!.status.initialCopy;
  const took =
    copy.startedAt !== null && copy.finishedAt !== null
      ? copy.finishedAt - copy.startedAt
      : Date.now() - began;
  console.log(
    `${table}: backfill done: ${copy.rowsCopied} rows copied${copy.total !== null ? ` (source had ${copy.total})` : ''} in ${duration(took)}, ${Math.round(rate(copy.rowsCopied, took))} rows/s`,
  );
}
