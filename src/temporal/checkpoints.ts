/**
 * Where a table's sync resumes: the state (cursors and counts, never row data) the last completed
 * run of a workflow id ended with. Used when `npm run sync` starts a stopped table again and, through
 * the `lastCompletedCheckpoint` activity, by each scheduled reconcile-only run.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SyncState, TableSyncResult } from '../contracts/table-sync.js';

/**
 * The checkpoint of the latest completed run of `workflowId`, or null if none completed. A later
 * run that failed, was terminated or timed out is passed over: the one before it still holds a
 * valid checkpoint, and starting from scratch would copy the whole table again.
 */
export async function lastCompletedCheckpoint(client: Client, workflowId: string): Promise<SyncState | null> {
  try {
    const latest = client.workflow.getHandle(workflowId);
    const description = await latest.describe();
    if (description.status.name === 'COMPLETED') return ((await latest.result()) as TableSyncResult).state;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
  // The latest run did not complete: the newest one that did (visibility lists newest first).
  const query = `WorkflowId = "${workflowId.replace(/["\\]/g, '')}" AND ExecutionStatus = "Completed"`;
  for await (const run of client.workflow.list({ query, pageSize: 1 })) {
    const handle = client.workflow.getHandle(workflowId, run.runId, { followRuns: false });
    return ((await handle.result()) as TableSyncResult).state;
  }
  return null;
}
