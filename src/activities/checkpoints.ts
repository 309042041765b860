/**
 * The `lastCompletedCheckpoint` activity: a workflow cannot call the Temporal client itself, so the
 * `reconcileSchedule` workflow asks this activity where each table's reconcile-only run resumes.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { SyncState } from '../contracts/table-sync.js';
import type { ActivityDeps } from './deps.js';

export function createCheckpointActivities(deps: ActivityDeps) {
  return {
    async lastCompletedCheckpoint(workflowId: string): Promise<SyncState | null> {
      if (!deps.lastCompletedCheckpoint) {
        throw ApplicationFailure.nonRetryable(
          'the worker has no Temporal client for checkpoint look-ups',
          'Misconfigured',
        );
      }
      return deps.lastCompletedCheckpoint(workflowId);
    },
  };
}
