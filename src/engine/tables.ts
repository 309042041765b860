/**
 * Getting the tables going, for `npm run sync`, `npm start` and `supabase-sync start`: delete
 * tracking enabled on the source, then one `tableSync` workflow per table (a running one is kept and
 * given the current settings; a stopped one resumes from its checkpoint).
 */
import {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import type { Logger } from '../contracts/logger.js';
import { SyncError, type SourceProject } from '../contracts/ports.js';
import type { SyncSettings, TableSyncInput } from '../contracts/table-sync.js';
import { errorMessage } from '../core/errors.js';
import { lastCompletedCheckpoint } from '../temporal/checkpoints.js';
import { realtimeEnabled } from '../workflows/decisions.js';
import { workflowIdFor } from '../workflows/ids.js';
import { configureUpdate } from '../workflows/messages.js';
import { tableSync } from '../workflows/table-sync.js';
import { syncSettings } from '../config/settings.js';

export interface TrackingReport {
  table: string;
  ok: boolean;
  message: string;
}

/**
 * Enables delete tracking on the source for every table, and adds the tables that will have a
 * realtime feed to the Realtime publication.
 */
export async function enableDeleteTracking(
  source: SourceProject,
  config: SyncConfig,
  settings: Pick<SyncSettings, 'realtime' | 'loop'> = syncSettings(config),
): Promise<TrackingReport[]> {
  const reports: TrackingReport[] = [];
  for (const table of config.tables) {
    try {
      const realtime = realtimeEnabled(table, settings);
      const result = await source.enableTable(table, realtime);
      // The change log serves only a realtime feed (realtime-changes.ts): without one it would only grow.
      const changeLog = realtime ? null : await source.trackChanges(table, false);
      reports.push({
        table: table.qualifiedName,
        ok: true,
        message: `delete tracking on ${table.qualifiedName}: trigger ${result.trigger}${result.partitions > 0 ? ` (and on its ${result.partitions} partitions)` : ''}; realtime publication: ${result.realtimePublication}${result.grants.length > 0 ? `; granted to service_role (Realtime streams only what it may read): ${result.grants.join(', ')}` : ''}${changeLog === 'removed' ? '; change log removed (no realtime feed)' : ''}`,
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
        message: `${table.qualifiedName}: ${errorMessage(error)}`,
      });
    }
  }
  return reports;
}

export function logReports(logger: Logger, reports: TrackingReport[]): void {
  for (const report of reports) {
    if (report.ok) logger.info({ table: report.table }, report.message);
    else logger.error({ table: report.table }, report.message);
  }
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
    const workflowId = workflowIdFor(table);
    if (await isRunning(client, workflowId)) {
      // Kept, with its checkpoint; the current settings and table config apply from now on.
      await client.workflow
        .getHandle(workflowId)
        .executeUpdate(configureUpdate, { args: [{ table, settings }] });
      ensured.push({ table: table.qualifiedName, workflowId, started: false, resumed: false });
      continue;
    }
    // A table stopped earlier resumes from the checkpoint its last run ended with.
    const previous = await lastCompletedCheckpoint(client, workflowId);
    const input: TableSyncInput = {
      table,
      settings,
      ...(previous ? { state: { ...previous, paused: false } } : {}),
    };
    await client.workflow.start(tableSync, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      ...(settings.searchAttributes
        ? { searchAttributes: { SyncTable: [table.qualifiedName], SyncState: ['starting'] } }
        : {}),
    });
    ensured.push({ table: table.qualifiedName, workflowId, started: true, resumed: previous !== null });
  }
  return ensured;
}

export async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
