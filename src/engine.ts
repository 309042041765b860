/**
 * Orchestration shared by `npm run sync`, `npm start` and the CLI: enabling delete tracking,
 * ensuring one workflow per table, and the reconcile-only run.
 */
import {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { DEFAULT_RECONCILE_INTERVAL_LIVE_MS, type SyncConfig, type TableConfig } from './config/index.js';
import type { Logger } from './logger.js';
import type { SourceProject } from './supabase/ports.js';
import { SyncError } from './supabase/ports.js';
import { reconcileWorkflowIdFor, workflowIdFor } from './workflows/decisions.js';
import { configureUpdate } from './workflows/messages.js';
import type { SyncSettings, SyncState, TableSpec, TableSyncInput } from './workflows/types.js';
import type { TableSyncResult } from './workflows/table-sync.js';

export const SEARCH_ATTRIBUTE_NAMES = ['SyncTable', 'SyncState'] as const;

export function tableSpec(table: TableConfig): TableSpec {
  return {
    schema: table.schema,
    table: table.table,
    primaryKeys: table.primaryKeys,
    incrementalFields: table.incrementalFields,
    realtime: table.realtime,
    reconcile: table.reconcile,
  };
}

export function syncSettings(config: SyncConfig, overrides: Partial<SyncSettings> = {}): SyncSettings {
  return {
    intervalMs: config.reconcile.intervalMs,
    liveIntervalMs: config.reconcile.liveIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_LIVE_MS,
    lookbackMs: config.reconcile.lookbackMs,
    batchSize: config.reconcile.batchSize,
    initialBackfillMs: config.reconcile.initialBackfillMs ?? null,
    realtime: config.realtime,
    loop: config.loop && config.mode !== 'reconcile',
    maxPassesPerRun: 500,
    searchAttributes: false,
    ...overrides,
  };
}

/** Whether the server has our search attributes registered (the workflows only set them if so). */
export async function searchAttributesRegistered(client: Client, namespace: string): Promise<boolean> {
  try {
    const response = await client.connection.operatorService.listSearchAttributes({ namespace });
    const custom = response.customAttributes ?? {};
    return SEARCH_ATTRIBUTE_NAMES.every((name) => name in custom);
  } catch {
    return false;
  }
}

export interface TrackingReport {
  table: string;
  ok: boolean;
  message: string;
}

/** Enables delete tracking (and the Realtime publication entry) on the source for every table. */
export async function enableDeleteTracking(
  source: SourceProject,
  config: SyncConfig,
): Promise<TrackingReport[]> {
  const reports: TrackingReport[] = [];
  for (const table of config.tables) {
    try {
      const result = await source.enableTable(table, table.realtime && config.realtime);
      reports.push({
        table: table.qualifiedName,
        ok: true,
        message: `delete tracking on ${table.qualifiedName}: trigger ${result.trigger}; realtime publication: ${result.realtimePublication}`,
      });
    } catch (error) {
      // A missing migration or a refused key concerns every table: stop here.
      if (
        error instanceof SyncError &&
        (error.kind === 'migration' || error.kind === 'auth' || error.kind === 'unavailable')
      )
        throw error;
      reports.push({
        table: table.qualifiedName,
        ok: false,
        message: `${table.qualifiedName}: ${(error as Error).message}`,
      });
    }
  }
  return reports;
}

export interface EnsuredWorkflow {
  table: string;
  workflowId: string;
  started: boolean;
  /** Started from the checkpoint a stopped run of this table ended with. */
  resumed: boolean;
}

/** Starts one `tableSync` per table; a workflow already running for a table is kept as it is. */
export async function ensureTableWorkflows(
  client: Client,
  config: SyncConfig,
  settings: SyncSettings,
): Promise<EnsuredWorkflow[]> {
  const ensured: EnsuredWorkflow[] = [];
  for (const table of config.tables) {
    const spec = tableSpec(table);
    const workflowId = workflowIdFor(spec);
    if (await isRunning(client, workflowId)) {
      // Kept, with its checkpoint; the current settings and table config apply from now on.
      await client.workflow
        .getHandle(workflowId)
        .executeUpdate(configureUpdate, { args: [{ table: spec, settings }] });
      ensured.push({ table: table.qualifiedName, workflowId, started: false, resumed: false });
      continue;
    }
    // A table stopped earlier resumes from the checkpoint its last run ended with.
    const previous = await lastCompletedState(client, workflowId);
    const input: TableSyncInput = {
      table: spec,
      settings,
      ...(previous ? { state: { ...previous, paused: false } } : {}),
    };
    await client.workflow.start('tableSync', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      ...(settings.searchAttributes
        ? { searchAttributes: { SyncTable: [table.qualifiedName], SyncState: ['starting'] } }
        : {}),
    });
    ensured.push({ table: table.qualifiedName, workflowId, started: true, resumed: previous !== undefined });
  }
  return ensured;
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** The checkpoint the last run of this workflow id ended with, if it completed. */
async function lastCompletedState(client: Client, workflowId: string): Promise<SyncState | undefined> {
  try {
    const handle = client.workflow.getHandle<(input: TableSyncInput) => Promise<TableSyncResult>>(workflowId);
    const description = await handle.describe();
    if (description.status.name !== 'COMPLETED') return undefined;
    return (await handle.result()).state;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

export interface ReconcileOnceReport {
  table: string;
  ok: boolean;
  result?: TableSyncResult;
  error?: string;
}

/**
 * Reconcile-only mode: one reconciliation + deletion pass per table, each as a workflow
 * (`table-reconcile:<table>`) that starts from the checkpoint the previous run ended with.
 */
export async function reconcileOnce(
  client: Client,
  config: SyncConfig,
  settings: SyncSettings,
): Promise<ReconcileOnceReport[]> {
  const runs = config.tables.map(async (table): Promise<ReconcileOnceReport> => {
    const spec = tableSpec(table);
    const workflowId = reconcileWorkflowIdFor(spec);
    try {
      const previous = await lastCompletedState(client, workflowId);
      const input: TableSyncInput = {
        table: spec,
        settings: { ...settings, loop: false, realtime: false },
        ...(previous ? { state: { ...previous, paused: false } } : {}),
      };
      const result = await client.workflow.execute<(input: TableSyncInput) => Promise<TableSyncResult>>(
        'tableSync',
        {
          workflowId,
          taskQueue: config.temporal.taskQueue,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          ...(settings.searchAttributes
            ? { searchAttributes: { SyncTable: [table.qualifiedName], SyncState: ['starting'] } }
            : {}),
        },
      );
      const typed = result;
      const pass = typed.status.lastPass;
      const ok = pass !== null && pass.ok && typed.status.lastError === null;
      return {
        table: table.qualifiedName,
        ok,
        result: typed,
        error: ok ? undefined : (typed.status.lastError?.message ?? pass?.error ?? 'no pass ran'),
      };
    } catch (error) {
      return { table: table.qualifiedName, ok: false, error: (error as Error).message };
    }
  });
  return Promise.all(runs);
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function logReports(logger: Logger, reports: TrackingReport[]): void {
  for (const report of reports) {
    if (report.ok) logger.info({ table: report.table }, report.message);
    else logger.error({ table: report.table }, report.message);
  }
}
