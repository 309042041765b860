/**
 * `supabase-sync backfill TABLE`: restarts the whole-table copy (the workflow's `backfill` update)
 * and follows it by polling the status query: a progress bar on a terminal, plain lines otherwise.
 * A worker must run (checked first); if it stops while the CLI follows, the CLI says so and exits 1.
 */
import { isGrpcDeadlineError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { SyncConfig } from '../contracts/config.js';
import type { TableStatus } from '../contracts/table-sync.js';
import { errorMessage } from '../core/errors.js';
import { backfillUpdate, statusQuery } from '../workflows/messages.js';
import { CliError, client, config, duration, interruptSignal, pause, seconds } from './common.js';
import { sendRequest } from './requests.js';
import { selectTargets, withPatternTables, type Target } from './targets.js';
import { noWorkerLine, requireWorker, workerPresence } from './workers.js';

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

/** A progress bar for a terminal. */
function progressBar(table: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar({
    // Until the workflow has counted the source rows, rows and rate only (no made-up 100%).
    format: (options, params, payload: { rate: number; totalKnown: boolean }) => {
      if (!payload.totalKnown) return `${table} ${params.value} rows | ${payload.rate} rows/s | counting…`;
      const size = options.barsize ?? 40;
      const filled = Math.round(Math.min(1, params.progress) * size);
      const eta = Number.isFinite(params.eta) && params.eta > 0 ? duration(params.eta * 1000) : '0s';
      return `${table} [${'█'.repeat(filled)}${'░'.repeat(size - filled)}] ${Math.floor(params.progress * 100)}% | ${params.value}/${params.total} rows | ${payload.rate} rows/s | ETA ${eta}`;
    },
    stream: process.stdout,
    hideCursor: true,
    etaBuffer: 20,
  });
}

/** The copy's progress as shown: a bar on a terminal, plain lines otherwise. */
class CopyProgress {
  private readonly bar: cliProgress.SingleBar | undefined;
  private barStarted = false;
  private shown = 0;
  private lastLine = '';
  private lastLineAt = 0;

  constructor(private readonly table: string) {
    this.bar = process.stdout.isTTY === true ? progressBar(table) : undefined;
  }

  show(p: Poll, elapsedMs: number): void {
    const copy = p.status.initialCopy;
    const total = copy.total;
    this.shown = Math.max(this.shown, copy.rowsCopied + p.inflight);
    if (total !== null) this.shown = Math.min(this.shown, Math.max(total, copy.rowsCopied));
    const perSecond = rate(this.shown, elapsedMs);
    if (this.bar) this.showBar(this.bar, total, perSecond);
    else this.printLine(total, perSecond);
  }

  private showBar(bar: cliProgress.SingleBar, total: number | null, perSecond: number): void {
    const barTotal = Math.max(total ?? 0, this.shown, 1);
    if (!this.barStarted) {
      bar.start(barTotal, this.shown, { rate: Math.round(perSecond), totalKnown: total !== null });
      this.barStarted = true;
    } else {
      bar.setTotal(barTotal);
      bar.update(this.shown, { rate: Math.round(perSecond), totalKnown: total !== null });
    }
  }

  private printLine(total: number | null, perSecond: number): void {
    const shown = this.shown;
    const eta =
      total !== null && perSecond > 0 ? `, ETA ${duration(((total - shown) / perSecond) * 1000)}` : '';
    const pct = total ? ` (${Math.floor((shown * 100) / total)}%)` : '';
    const line = `${this.table}: ${shown}/${total ?? '?'} rows${pct}, ${Math.round(perSecond)} rows/s${eta}`;
    // Print on change, and every 10 s while nothing changes (so a pipe shows it is alive).
    const progressPart = line.replace(/, \d+ rows\/s.*$/, '');
    if (progressPart !== this.lastLine || Date.now() - this.lastLineAt >= 10_000) {
      console.log(line);
      this.lastLine = progressPart;
      this.lastLineAt = Date.now();
    }
  }

  /** The bar, if shown, at the copy's end (when it finished) and stopped. */
  end(last: Poll | undefined, began: number): void {
    if (!this.bar || !this.barStarted) return;
    if (last?.status.initialCopy.done) {
      const copied = last.status.initialCopy.rowsCopied;
      this.bar.setTotal(Math.max(copied, 1));
      this.bar.update(copied, { rate: Math.round(rate(copied, took(last, began))), totalKnown: true });
    }
    this.bar.stop();
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
  began: number,
): Promise<Poll | undefined> {
  const table = t.name;
  const interrupted = interruptSignal();
  const progress = new CopyProgress(table);
  let reportedError: number | null = null;
  let last: Poll | undefined;
  // The rate, shown and in the summary, is rows over the time since the copy began (the workflow's clock).
  const elapsed = (p: Poll | undefined) => Date.now() - (p?.status.initialCopy.startedAt ?? began);
  try {
    while (!interrupted.aborted) {
      const next = await nextPoll(c, cfg, t);
      if (!next) continue;
      last = next;
      if (last.status.initialCopy.done) break;
      if (!last.running) {
        throw new CliError(`${table}: the workflow ended (${last.workflowStatus}) before the copy finished`);
      }
      progress.show(last, elapsed(last));
      const err = last.status.lastError;
      if (err && err.at !== reportedError && last.status.state === 'failing') {
        reportedError = err.at;
        console.error(`${table}: copy failing, retrying (${err.where}): ${err.message}`);
      }
      await pause(intervalS * 1000, interrupted);
    }
  } finally {
    progress.end(last, began);
  }
  return last;
}

async function follow(c: Client, cfg: SyncConfig, t: Target, intervalS: number): Promise<void> {
  const table = t.name;
  const began = Date.now();
  const last = await watchCopy(c, cfg, t, intervalS, began);
  if (interruptSignal().aborted && !last?.status.initialCopy.done) {
    console.log(
      `${table}: stopped following; the copy goes on in the workflow (supabase-sync status ${table})`,
    );
    process.exitCode = 130;
    return;
  }
  const copy = last!.status.initialCopy;
  const ms = took(last!, began);
  console.log(
    `${table}: backfill done: ${copy.rowsCopied} rows copied${copy.total !== null ? ` (source had ${copy.total})` : ''} in ${duration(ms)}, ${Math.round(rate(copy.rowsCopied, ms))} rows/s`,
  );
}

/** How long the finished copy took: by the workflow's clock, else since the CLI started following. */
function took(p: Poll, began: number): number {
  const copy = p.status.initialCopy;
  return copy.startedAt !== null && copy.finishedAt !== null
    ? copy.finishedAt - copy.startedAt
    : Date.now() - began;
}
