/**
 * The reconcile-only run (`npm run sync --cron`, SYNC_MODE=reconcile, SYNC_LOOP=false): one tick of
 * the reconcile schedule, run now. The `reconcileSchedule` workflow runs one reconciliation +
 * deletion pass per table, each from its `table-reconcile:<table>` checkpoint, and reports each table.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import type { SyncSettings } from '../contracts/table-sync.js';
import {
  reconcileSchedule,
  type ReconcileScheduleResult,
  type ScheduledTableResult,
} from '../workflows/reconcile-schedule.js';
import { oneOffWorkflowId } from '../workflows/ids.js';
import type { RunContext } from './run-context.js';
import { storageOnce } from './storage.js';
import { withStopSignal } from '../temporal/abort-scope.js';

/**
 * One result per table, in the order of the tables file; a table that failed carries `error`.
 * `signal` (Ctrl-C) terminates the run and its children (their last completed checkpoints stay).
 */
export async function reconcileOnce(
  client: Client,
  config: SyncConfig,
  settings: SyncSettings,
  signal?: AbortSignal,
): Promise<ScheduledTableResult[]> {
  const workflowId = oneOffWorkflowId('reconcile-once', new Date(), randomBytes(3).toString('hex'));
  const terminate = () =>
    void client.workflow
      .getHandle(workflowId)
      .terminate('stopped (SIGINT/SIGTERM)')
      .catch(() => undefined);
  signal?.addEventListener('abort', terminate, { once: true });
  try {
    const handle = await client.workflow.start(reconcileSchedule, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{ tables: config.tables, settings }],
    });
    const result = await (signal ? withStopSignal(client, signal, () => handle.result()) : handle.result());
    return result.tables;
  } catch (error) {
    // A table failed: the run fails (so the UI shows it) and carries every table's result.
    const details =
      error instanceof WorkflowFailedError ? (error.cause as { details?: unknown[] })?.details : undefined;
    const result = details?.[0] as ReconcileScheduleResult | undefined;
    if (result?.tables) return result.tables;
    throw error;
  } finally {
    signal?.removeEventListener('abort', terminate);
  }
}

function passLine(r: ScheduledTableResult): string {
  const counts =
    r.durationMs !== undefined
      ? `read ${r.rowsRead}, written ${r.written}, unchanged ${r.skipped}, deletes replayed ${r.deletesReplayed} (${r.deleted} removed) in ${(r.durationMs / 1000).toFixed(1)} s`
      : 'no pass ran';
  return r.ok
    ? `${r.table}: ok — ${counts}`
    : `${r.table}: FAILED — ${r.error ?? 'unknown error'} (${counts})`;
}

/** The reconcile-only run of `npm run sync`: every table and bucket once, a line each and a summary; returns the failures. */
export async function reconcileOnlyRun(ctx: RunContext): Promise<number> {
  const { client, config, logger, buckets } = ctx;
  const results = await reconcileOnce(client, config, ctx.settings, ctx.stopSignal);
  for (const r of results) {
    if (r.ok) logger.info({ table: r.table }, passLine(r));
    else logger.error({ table: r.table }, passLine(r));
  }
  const bucketResults = await storageOnce(client, config, buckets, ctx.stopSignal);
  for (const b of bucketResults)
    (b.ok ? logger.info : logger.error).call(logger, { bucket: b.bucket }, b.line);
  const failedTables = results.filter((r) => !r.ok).length;
  logger.info(
    `reconcile-only run: ${results.length - failedTables} of ${results.length} tables ok${buckets.length > 0 ? `, ${bucketResults.filter((b) => b.ok).length} of ${buckets.length} buckets ok` : ''}`,
  );
  return failedTables + bucketResults.filter((b) => !b.ok).length;
}
