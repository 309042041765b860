/**
 * Checkpoint look-ups for the scheduled reconcile-only runs: a workflow cannot call the Temporal
 * client itself, so the `reconcileSchedule` workflow asks this activity for the state the last
 * completed `table-reconcile:<table>` run ended with (cursors and counts, never row data).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { SyncState } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

interface CompletedRun {
  state: SyncState;
}

export function createCheckpointActivities(deps: ActivityDeps) {
  return {
    /**
     * The checkpoint of the latest completed run of `workflowId`, or null if it never completed.
     * A later run that was terminated or timed out is passed over: the one before it still holds
     * a valid checkpoint, and starting from scratch would copy the whole table again.
     */
    async lastCompletedCheckpoint(workflowId: string): Promise<SyncState | null> {
      const client = deps.client;
      if (!client) {
        throw ApplicationFailure.nonRetryable(
          'the worker has no Temporal client for checkpoint look-ups',
          'Misconfigured',
        );
      }
      try {
        const latest = client.workflow.getHandle(workflowId);
        const description = await latest.describe();
        if (description.status.name === 'COMPLETED') {
          return ((await latest.result()) as CompletedRun).state;
        }
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        throw error;
      }
      // The latest run did not complete: the newest one that did (visibility lists newest first).
      const query = `WorkflowId = "${workflowId.replace(/["\\]/g, '')}" AND ExecutionStatus = "Completed"`;
      for await (const run of client.workflow.list({ query, pageSize: 1 })) {
        const handle = client.workflow.getHandle(workflowId, run.runId, { followRuns: false });
        return ((await handle.result()) as CompletedRun).state;
      }
      return null;
    },
  };
}
