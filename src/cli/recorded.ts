/**
 * A table's status without a worker: what its workflow last recorded in its memo (`syncStatus`,
 * src/workflows/status-memo.ts), read with DescribeWorkflowExecution; for a workflow that has
 * none yet (started by an earlier version), its SyncState search attribute.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { RecordedStatus, SyncStateName, TableStatus } from '../contracts/table-sync.js';
import { STATUS_MEMO } from '../workflows/status-memo.js';
import type { Target } from './targets.js';

/** Only the state is known (the search attribute), or nothing at all. */
export interface StateOnly {
  table: string;
  state: SyncStateName | 'unknown';
  recordedAt: null;
}

export interface NotStarted {
  table: string;
  state: 'not started';
}

/** What `status` shows per table: live (a query), recorded, the state only, or not started. */
export type StatusEntry = (TableStatus | RecordedStatus | StateOnly | NotStarted) & {
  /** Set on a workflow whose table is not in the tables file. */
  configured?: false;
};

export async function recordedStatus(c: Client, t: Target): Promise<StatusEntry> {
  let description;
  try {
    description = await c.workflow.getHandle(t.workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { table: t.name, state: 'not started' };
    throw error;
  }
  // A run that ended without a stop (terminated, failed) shows as stopped.
  const ended = description.status.name !== 'RUNNING';
  const memo = description.memo?.[STATUS_MEMO] as RecordedStatus | undefined;
  if (memo && typeof memo === 'object' && typeof memo.recordedAt === 'number') return asOfNow(memo, ended);
  const attribute = description.searchAttributes?.SyncState?.[0];
  const state = ended ? 'stopped' : typeof attribute === 'string' ? (attribute as SyncStateName) : 'unknown';
  return { table: t.name, state, recordedAt: null };
}

/**
 * A recorded status read later, without a worker to ask: no feed is known to be connected, and
 * the lag is the time since the last successful pass began (decisions.ts `lagSeconds`), now.
 */
function asOfNow(memo: RecordedStatus, ended: boolean, now = Date.now()): RecordedStatus {
  return {
    ...memo,
    state: ended ? 'stopped' : memo.state,
    realtime: { ...memo.realtime, connected: false },
    lagSeconds: memo.lastSuccessAt === null ? null : Math.max(0, (now - memo.lastSuccessAt) / 1000),
  };
}
