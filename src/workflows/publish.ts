/**
 * What a table workflow shows outside itself: the SyncTable/SyncState search attributes (the
 * Temporal UI, `SyncState="failing"`), when the state changed, and for long-running tables the memo
 * `syncStatus` (status-memo.ts: what it holds, when it is new), which `supabase-sync status` reads
 * when no worker runs. Commands added after histories were recorded are behind patched():
 * 'status-memo' (the memo), 'one-pass-final-state' (a one-pass run ends stopped or failing) and
 * COPY_PROGRESS_PATCH (a memo per copy chunk, passes.ts). The first copy's progress line is also the
 * workflow's current details (the Temporal UI's workflow page, read by a query: no command, no
 * action).
 */
import { patched, setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { SyncSettings, SyncState, TableStatus } from '../contracts/table-sync.js';
import { stateName } from './table-status.js';
import { finalStateName, memoSignature, STATUS_MEMO, statusMemo } from './status-memo.js';

export const STATUS_MEMO_PATCH = 'status-memo';
export const FINAL_STATE_PATCH = 'one-pass-final-state';
/**
 * While the first copy runs, each chunk but the last records the copy's progress in the memo (one
 * upsert per chunk of about 20 s, passes.ts) (2026-12-08).
 */
export const COPY_PROGRESS_PATCH = 'copy-progress-memo-2026-12-08';

interface Published {
  readonly name: string;
  readonly state: SyncState;
  readonly stopping: boolean;
  readonly settings: SyncSettings;
  status(): TableStatus;
}

export class StatePublisher {
  private shownState = '';
  private shownMemo = '';

  /** `final`: the run ends by itself (one pass), not by a stop. */
  publish(t: Published, final: boolean): void {
    const now =
      final && patched(FINAL_STATE_PATCH) ? finalStateName(t.state) : stateName(t.state, t.stopping);
    if (t.settings.searchAttributes && now !== this.shownState) {
      this.shownState = now;
      upsertSearchAttributes({ SyncTable: [t.name], SyncState: [now] });
    }
    const status = t.status();
    if (status.copyProgress) setCurrentDetails(`first copy: ${status.copyProgress.line}`);
    if (!t.settings.loop) return;
    const progress = !status.initialCopy.done && patched(COPY_PROGRESS_PATCH);
    const signature = memoSignature(status, progress);
    if (signature === this.shownMemo || !patched(STATUS_MEMO_PATCH)) return;
    this.shownMemo = signature;
    upsertMemo({ [STATUS_MEMO]: statusMemo(status, Date.now()) });
  }
}
