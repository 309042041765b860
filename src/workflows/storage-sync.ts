/**
 * `storageSync`: one long-running workflow per bucket (id `storage-sync:<bucket>`). It prepares the
 * bucket (created on the target, or refused when its settings differ: blocked until fixed), then on
 * a timer runs one `storagePass` activity: the objects changed since the cursor copied, the ledger's
 * deletes and moves replayed. Its state is the cursor, counts and refused names; never content.
 * Continues as new after `maxPassesPerRun` passes (or when the server suggests it), state carried.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.js';
import {
  initialStorageState,
  recordStoragePass,
  storageMemoSignature,
  storageStatus,
} from './storage-decisions.js';
import {
  storageConfigureUpdate,
  storageStatusQuery,
  storageStopUpdate,
  storageSyncNowUpdate,
} from './storage-messages.js';
import type { StorageStatus, StorageSyncInput, StorageSyncState } from './storage-types.js';

const { prepareStorageBucket } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3, initialInterval: '1s', maximumInterval: '10s' },
});
// A pass copies what changed, however large (a 1 GB object takes minutes): heartbeats tell it alive.
const { storagePass } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '60 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '30s' },
});

function failureMessage(error: unknown): { message: string; blocked: boolean } {
  let cause: unknown = error;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const type = cause instanceof ApplicationFailure ? (cause.type ?? '') : '';
  return { message, blocked: /SyncError:(config|migration|auth)/.test(type) };
}

export async function storageSync(input: StorageSyncInput): Promise<StorageStatus> {
  const { bucket } = input;
  let settings = input.settings;
  let state: StorageSyncState = input.state ?? initialStorageState();
  let stopping = false;
  let passDue = false;
  let passesThisRun = 0;
  // Every prepare or pass attempt, for `storageSyncNow` to wait on (a blocked bucket answers too).
  let attempts = 0;
  // The memo `syncStatus` (the Temporal UI; `status` without a worker), when what it shows changed.
  let shown = '';
  const publish = () => {
    const status = storageStatus(bucket, state, stopping);
    const signature = storageMemoSignature(status);
    if (signature === shown) return;
    shown = signature;
    upsertMemo({ syncStatus: { ...status, recordedAt: Date.now() } });
  };
  setHandler(storageStatusQuery, () => storageStatus(bucket, state, stopping));
  setHandler(storageStopUpdate, () => {
    stopping = true;
    return storageStatus(bucket, state, true);
  });
  setHandler(storageSyncNowUpdate, async () => {
    const before = attempts;
    passDue = true;
    await condition(() => attempts > before || stopping);
    return storageStatus(bucket, state, stopping);
  });
  setHandler(storageConfigureUpdate, (next) => {
    settings = next;
    passDue = true;
    return storageStatus(bucket, state, stopping);
  });

  while (!stopping) {
    if (!state.prepared) {
      try {
        await prepareStorageBucket({ bucket });
        state = { ...state, prepared: true, lastError: null };
      } catch (error) {
        const { message, blocked } = failureMessage(error);
        log.warn(`${bucket}: ${message}`);
        state = { ...state, lastError: { at: Date.now(), message, blocked } };
        attempts++;
        if (settings.loop) publish();
        if (!settings.loop) break;
        await condition(() => stopping || passDue, settings.intervalMs);
        passDue = false;
        continue;
      }
    }
    const startedAt = Date.now();
    try {
      const result = await storagePass({
        bucket,
        cursor: state.cursor,
        lookbackMs: settings.lookbackMs,
        pageSize: settings.pageSize,
        refused: state.refused.map((r) => r.name),
      });
      state = recordStoragePass(state, { result }, startedAt, Date.now());
    } catch (error) {
      const { message, blocked } = failureMessage(error);
      state = recordStoragePass(state, { error: message }, startedAt, Date.now());
      // A bucket gone from the target, or its settings changed: prepare again.
      if (blocked) state = { ...state, prepared: false, lastError: { at: Date.now(), message, blocked } };
    }
    passesThisRun++;
    attempts++;
    if (settings.loop) publish();
    if (!settings.loop) break;
    await condition(() => stopping || passDue, settings.intervalMs);
    passDue = false;
    if (!stopping && (passesThisRun >= settings.maxPassesPerRun || workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof storageSync>({ bucket, settings, state });
    }
  }
  await condition(allHandlersFinished);
  return storageStatus(bucket, state, true);
}
