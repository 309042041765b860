/**
 * `tableSync`: one long-running workflow per table (id `table-sync:<schema>.<table>`). Its state
 * lives in a TableSyncManager; each message handler is one call to it; the loop below walks the
 * table through its phases (decisions.ts `Phase`): preparing, then copying or running (the
 * realtime feed on, a pass whenever one is due), paused until resumed, stopping. Checkpoints
 * (cursors and counts, never row data) are carried over continue-as-new.
 */
import { allHandlersFinished, condition, continueAsNew, log, setHandler } from '@temporalio/workflow';
import type {
  PassOptions,
  RequestOptions,
  TableSyncInput,
  TableSyncResult,
} from '../contracts/table-sync.js';
import {
  backfillUpdate,
  configureUpdate,
  feedWorkerLostSignal,
  pauseUpdate,
  realtimeProgressSignal,
  realtimeSubscribedSignal,
  reconcileNowUpdate,
  resumeUpdate,
  statusQuery,
  stopUpdate,
} from './messages.js';
import { expiredRequestError, passBlocked, passOptionsError } from './requests.js';
import { TableSyncManager } from './table-sync-manager.js';

/** A request the CLI gave up on is refused before anything is recorded (validators never run on replay). */
function validateRequest(request?: RequestOptions): void {
  const expired = expiredRequestError(request, Date.now());
  if (expired) throw new Error(expired);
}

export async function tableSync(input: TableSyncInput): Promise<TableSyncResult> {
  const table = new TableSyncManager(input);
  setHandler(statusQuery, () => table.status());
  setHandler(pauseUpdate, (reason) => table.pause(reason), {
    validator: (_reason: string, request?: RequestOptions) => validateRequest(request),
  });
  setHandler(resumeUpdate, () => table.resume(), { validator: validateRequest });
  setHandler(stopUpdate, () => table.stop(), { validator: validateRequest });
  setHandler(reconcileNowUpdate, (options) => table.reconcileNow(options), {
    // `since` must be a time, the table able to run a pass (else its error at once), the request fresh.
    validator: (options: PassOptions, request?: RequestOptions) => {
      const refused =
        passOptionsError(options) ??
        passBlocked(table.state, table.stopping) ??
        expiredRequestError(request, Date.now());
      if (refused) throw new Error(refused);
    },
  });
  setHandler(configureUpdate, (next) => table.configure(next), {
    validator: (next: Omit<TableSyncInput, 'state'>) => table.validateConfigure(next),
  });
  setHandler(backfillUpdate, () => table.backfill(), { validator: validateRequest });
  setHandler(realtimeProgressSignal, (progress) => table.onRealtimeProgress(progress));
  setHandler(realtimeSubscribedSignal, (from) => table.onRealtimeSubscribed(from));
  setHandler(feedWorkerLostSignal, (lost) => table.onFeedWorkerLost(lost));

  // The commands this loop issues, in this order, are what running workflows' histories replay
  // against (test/workflow/replay.test.ts): a change of them needs a `patched()` branch.
  table.publishState();
  while (table.phase !== 'stopping') {
    // preparing: check the table on both projects (again after new key columns or a backfill).
    if (!table.state.prepared && !(await table.prepare())) {
      table.publishState();
      if (!table.settings.loop) break;
      await table.retryLater();
      continue;
    }
    // paused: no feed and no timer passes until resumed; a `reconcileNow` still gets its pass.
    if (table.idlePaused) {
      await table.whilePaused();
      continue;
    }
    // copying, running: the feed on, and a pass (the copy until it is done) whenever one is due.
    table.startFeed();
    table.publishState();
    if (!(await table.untilPassDue())) continue;
    const pass = await table.runDuePass();
    if (!table.settings.loop && (table.state.initialCopy.done || !pass.ok)) break;
    if (table.shouldContinueAsNew()) {
      // The feed ends before the next run starts its own: two runs never subscribe at once.
      await table.feed.stop();
      await condition(allHandlersFinished);
      log.info(`${table.name}: continuing as new after ${table.passesThisRun} passes`);
      return continueAsNew<typeof tableSync>(table.configuration());
    }
  }
  // stopping: the feed ends, the checkpoint is the result (a later start resumes from it). A run
  // that ended by itself (one pass) shows stopped or failing, not the phase it ended in.
  await table.feed.stop();
  table.publishState({ final: !table.settings.loop });
  await condition(allHandlersFinished);
  return { status: table.status(), state: table.state };
}
