/**
 * The compact status a table workflow keeps in its memo (key `syncStatus`), so `supabase-sync
 * status` can show it when no worker runs (a query needs one; the memo is read with
 * DescribeWorkflowExecution). Written when the state, the last error, the copy or the version
 * column changed, after a pass at most every MEMO_PASS_EVERY_MS while only the pass time moves, and
 * while the first copy runs after each chunk (its progress: rows copied, of about how many, rows/s,
 * time left): never per row, at most once per pass or copy chunk, 4 an hour for an idle table (a
 * memo upsert is a billed action). Pure: no Temporal imports, no Node built-ins.
 */
import type { RecordedStatus, SyncState, SyncStateName, TableStatus } from '../contracts/table-sync.js';
import { isBlocked } from './decisions.js';
import { isFailing } from './table-status.js';

export const STATUS_MEMO = 'syncStatus';

/** While only the last pass moves, the memo is recorded again after this long. */
export const MEMO_PASS_EVERY_MS = 15 * 60_000;

/** The status as recorded: the copy's key cursors left out (keys stay in the activities' payloads). */
export function statusMemo(status: TableStatus, nowMs: number): RecordedStatus {
  return {
    ...status,
    initialCopy: { ...status.initialCopy, keyCursor: null, versionCursor: null },
    recordedAt: nowMs,
  };
}

/**
 * What makes a new memo worth recording: the state, a new error, the copy, a pass (every 15 min);
 * with `copyProgress`, each new count of rows copied while the copy runs.
 */
export function memoSignature(status: TableStatus, copyProgress = false): string {
  const pass = status.lastPass;
  const copy = status.initialCopy;
  return [
    status.state,
    pass ? `${pass.ok}@${Math.floor(pass.finishedAt / MEMO_PASS_EVERY_MS)}` : '',
    status.lastError?.at ?? '',
    copy.done,
    status.versionColumn ?? '',
    ...(copyProgress && !copy.done ? [copy.rowsCopied] : []),
  ].join('|');
}

/**
 * The state a run that ends by itself (one pass: SYNC_LOOP=false, --cron, a schedule) leaves in
 * its SyncState: stopped, or blocked, or failing — not the phase its pass ended in.
 */
export function finalStateName(state: SyncState): SyncStateName {
  if (isBlocked(state)) return 'blocked';
  return isFailing(state) ? 'failing' : 'stopped';
}
