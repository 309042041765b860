/**
 * Workflow `reconcileSchedule`: the reconcile-only mode. A Temporal Schedule (`supabase-sync
 * schedule create`) starts it every tick; `npm run sync --cron` runs it once. One reconcile-only
 * pass per table, each as a child `tableSync` (loop off, realtime off) with the workflow id
 * `table-reconcile:<table>`, starting from the checkpoint the last completed run of that id ended
 * with, so scheduled runs and cron runs share checkpoints. Only names, cursors and counts pass
 * through here, never row data.
 */
import {
  ApplicationFailure,
  WorkflowIdReusePolicy,
  executeChild,
  log,
  proxyActivities,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.js';
import type { TableConfig } from '../contracts/config.js';
import type { SyncSettings, TableSyncInput } from '../contracts/table-sync.js';
import { errorMessage } from '../core/errors.js';
import { tableName } from '../core/names.js';
import { reconcileWorkflowIdFor } from './ids.js';
import { tableSync } from './table-sync.js';

export interface ReconcileScheduleInput {
  tables: TableConfig[];
  /** Fixed when the schedule is created; `loop` and `realtime` are forced off for the passes. */
  settings: SyncSettings;
}

export interface ScheduledTableResult {
  table: string;
  workflowId: string;
  ok: boolean;
  /** Started from the checkpoint of the previous completed run (false: first run, full copy). */
  resumed: boolean;
  rowsRead: number;
  written: number;
  skipped: number;
  deletesReplayed: number;
  deleted: number;
  /** How long the pass took (absent in results recorded by earlier versions). */
  durationMs?: number;
  error?: string;
}

export interface ReconcileScheduleResult {
  tables: ScheduledTableResult[];
  ok: number;
  failed: number;
}

const lookups = proxyActivities<SyncActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
});

async function reconcileTable(spec: TableConfig, settings: SyncSettings): Promise<ScheduledTableResult> {
  const table = tableName(spec);
  const workflowId = reconcileWorkflowIdFor(spec);
  const result: ScheduledTableResult = {
    table,
    workflowId,
    ok: false,
    resumed: false,
    rowsRead: 0,
    written: 0,
    skipped: 0,
    deletesReplayed: 0,
    deleted: 0,
  };
  try {
    const previous = await lookups.lastCompletedCheckpoint(workflowId);
    result.resumed = previous !== null;
    const input: TableSyncInput = {
      table: spec,
      settings: { ...settings, loop: false, realtime: false },
      ...(previous ? { state: { ...previous, paused: false } } : {}),
    };
    const run = await executeChild(tableSync, {
      workflowId,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      ...(settings.searchAttributes
        ? { searchAttributes: { SyncTable: [table], SyncState: ['starting'] } }
        : {}),
    });
    const pass = run.status.lastPass;
    if (pass) {
      result.rowsRead = pass.rowsRead;
      result.written = pass.written;
      result.skipped = pass.skipped;
      result.deletesReplayed = pass.deletesReplayed;
      result.deleted = pass.deleted;
      result.durationMs = pass.finishedAt - pass.startedAt;
    }
    result.ok = pass !== null && pass.ok && run.status.lastError === null;
    if (!result.ok) result.error = run.status.lastError?.message ?? pass?.error ?? 'no pass ran';
  } catch (error) {
    const message = errorMessage(error);
    result.error = /already started|already running/i.test(message)
      ? `a reconcile pass for ${table} is already running (${workflowId})`
      : message;
  }
  return result;
}

export async function reconcileSchedule(input: ReconcileScheduleInput): Promise<ReconcileScheduleResult> {
  const tables = await Promise.all(input.tables.map((spec) => reconcileTable(spec, input.settings)));
  const failed = tables.filter((t) => !t.ok);
  for (const t of tables) {
    if (t.ok)
      log.info(
        `${t.table}: ok — read ${t.rowsRead}, written ${t.written}, deletes replayed ${t.deletesReplayed}`,
      );
    else log.warn(`${t.table}: FAILED — ${t.error ?? 'unknown error'}`);
  }
  const result: ReconcileScheduleResult = {
    tables,
    ok: tables.length - failed.length,
    failed: failed.length,
  };
  if (failed.length > 0) {
    // Fail the run so the schedule's recent actions and the UI show it; the checkpoints of the
    // tables that passed are kept by their own completed runs.
    throw ApplicationFailure.nonRetryable(
      `${failed.length} of ${tables.length} table(s) failed: ${failed.map((t) => `${t.table}: ${t.error ?? 'unknown error'}`).join('; ')}`,
      'ReconcileFailed',
      result,
    );
  }
  return result;
}
