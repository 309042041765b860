/**
 * The compact status a table workflow keeps in its memo (key `syncStatus`), so `supabase-sync
 * status` can show it when no worker runs (a query needs one; the memo is read with
 * DescribeWorkflowExecution). Written when the state, the last pass or the last error changed:
 * at most once per pass, never per row. Pure: no Temporal imports, no Node built-ins.
 */
import type { RecordedStatus, TableStatus } from './types.js';

export const STATUS_MEMO = 'syncStatus';

/** The status as recorded: the copy's key cursors left out (keys stay in the activities' payloads). */
export function statusMemo(status: TableStatus, nowMs: number): RecordedStatus {
  return {
    ...status,
    initialCopy: { ...status.initialCopy, keyCursor: null, versionCursor: null },
    recordedAt: nowMs,
  };
}

/** What makes a new memo worth recording: the state, a finished pass, a new error, the copy finishing. */
export function memoSignature(status: TableStatus): string {
  return [
    status.state,
    status.lastPass?.finishedAt ?? '',
    status.lastError?.at ?? '',
    status.initialCopy.done,
    status.versionColumn ?? '',
  ].join('|');
}
