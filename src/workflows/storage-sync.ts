/**
 * `storageSync`: one long-running workflow per bucket (id `storage-sync:<bucket>`). Its state lives
 * in a StorageSyncManager; each message handler is one call to it. The loop below prepares the
 * bucket (created on the target, or refused when its settings differ: blocked until fixed), then on
 * a timer runs one `storagePass` activity: the objects changed since the cursor copied, the ledger's
 * deletes and moves replayed. Its state is the cursor, counts and refused names; never content.
 * Continues as new after `maxPassesPerRun` passes (or when the server suggests it), state carried.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import type { StorageStatus, StorageSyncInput } from '../contracts/storage-sync.js';
import {
  storageConfigureUpdate,
  storageStatusQuery,
  storageStopUpdate,
  storageSyncNowUpdate,
} from './storage-messages.js';
import { StorageSyncManager } from './storage-sync-manager.js';

export async function storageSync(input: StorageSyncInput): Promise<StorageStatus> {
  const bucket = new StorageSyncManager(input);
  setHandler(storageStatusQuery, () => bucket.status());
  setHandler(storageStopUpdate, () => bucket.stop());
  setHandler(storageSyncNowUpdate, () => bucket.syncNow(), { validator: () => bucket.validateSyncNow() });
  setHandler(storageConfigureUpdate, (next) => bucket.configure(next), {
    validator: (next: unknown) => bucket.validateConfigure(next),
  });

  // The commands this loop issues, in this order, are what running workflows' histories replay
  // against (test/workflow/replay.test.ts): a change of them needs a `patched()` branch.
  while (!bucket.stopping) {
    // A bucket not prepared (new, or blocked by other settings on the target): prepare it first.
    if (!bucket.state.prepared && !(await bucket.prepare())) {
      if (!bucket.settings.loop) break;
      bucket.publish();
      await bucket.untilNextPass();
      continue;
    }
    await bucket.runPass();
    if (!bucket.settings.loop) break;
    bucket.publish();
    await bucket.untilNextPass();
    if (bucket.shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof storageSync>(bucket.configuration());
    }
  }
  await condition(allHandlersFinished);
  return bucket.result();
}
