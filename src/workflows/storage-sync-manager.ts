/**
 * One bucket's sync, as its workflow holds it (in the style of TableSyncManager and the
 * safe-message-handlers sample's ClusterManager): the bucket and its settings, its
 * StorageSyncState (carried over continue-as-new), what each message does, and the steps of the
 * workflow's loop (storage-sync.ts). Decisions are the pure functions of storage-decisions.ts.
 */
import {
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.js';
import type {
  StorageStatus,
  StorageSyncInput,
  StorageSyncSettings,
  StorageSyncState,
} from '../contracts/storage-sync.js';
import {
  initialStorageState,
  recordStoragePass,
  storageMemoSignature,
  storageSettingsError,
  storageStatus,
  storageWorkflowId,
} from './storage-decisions.js';

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

/**
 * patched() id: `storageStop` waits for the prepare or pass in flight before it answers (2026-12-07).
 * Before, it answered at once: its completion was recorded before the pass ended, not after, so a
 * run that got its stop that way must replay it that way (the history
 * test/fixtures/histories/2026-12-07-storage-messages.json fails with "No command scheduled for
 * event … WorkflowExecutionUpdateCompleted" without this branch). A stop while nothing is in
 * flight answers at once either way, and records no marker.
 */
const STOP_WAITS_PATCH = 'storage-stop-waits-for-pass';

function failureMessage(error: unknown): { message: string; blocked: boolean } {
  let cause: unknown = error;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const type = cause instanceof ApplicationFailure ? (cause.type ?? '') : '';
  return { message, blocked: /SyncError:(config|migration|auth)/.test(type) };
}

export class StorageSyncManager {
  readonly bucket: string;
  /** New settings arrive with `storageConfigure` (from `npm run sync`'s start); the cursor is kept. */
  settings: StorageSyncSettings;
  state: StorageSyncState;
  stopping = false;
  /** A pass is asked for now (`storageSyncNow`, new settings): the wait for the next one ends. */
  private passDue = false;
  /** Every prepare or pass attempt, for `storageSyncNow` to wait on (a blocked bucket answers too). */
  private attempts = 0;
  private passesThisRun = 0;
  /** A prepare or a pass is in flight: `storageStop` waits for it to end. */
  private busy = false;
  /** What the memo `syncStatus` shows (the Temporal UI; `status` without a worker), as last written. */
  private shown = '';

  constructor(input: StorageSyncInput) {
    this.bucket = input.bucket;
    this.settings = input.settings;
    this.state = input.state ?? initialStorageState();
  }

  status(): StorageStatus {
    return storageStatus(this.bucket, this.state, this.stopping);
  }

  /** The memo `syncStatus`, written when what it shows changed (long-running workflows only). */
  publish(): void {
    if (!this.settings.loop) return;
    const status = this.status();
    const signature = storageMemoSignature(status);
    if (signature === this.shown) return;
    this.shown = signature;
    upsertMemo({ syncStatus: { ...status, recordedAt: Date.now() } });
  }

  // ---- messages ----

  /**
   * Ends the loop after the prepare or pass in flight, and answers once it ended (its counts in the
   * status). Answers synchronously when nothing is in flight, as before the patch.
   */
  stop(): StorageStatus | Promise<StorageStatus> {
    this.stopping = true;
    if (!this.busy || !patched(STOP_WAITS_PATCH)) return this.status();
    return condition(() => !this.busy).then(() => this.status());
  }

  /** A pass now: answers once it (or the bucket's prepare) was attempted, or the workflow stops. */
  async syncNow(): Promise<StorageStatus> {
    const before = this.attempts;
    this.passDue = true;
    await condition(() => this.attempts > before || this.stopping);
    return this.status();
  }

  /** A stopping workflow runs no further pass: refused before anything is recorded (as tableSync's reconcileNow). */
  validateSyncNow(): void {
    if (this.stopping) throw new Error('the workflow is stopping');
  }

  validateConfigure(next: unknown): void {
    const error = storageSettingsError(next);
    if (error)
      throw new Error(`${storageWorkflowId(this.bucket)}: the new settings were not applied: ${error}`);
  }

  configure(next: StorageSyncSettings): StorageStatus {
    this.settings = next;
    this.passDue = true;
    return this.status();
  }

  // ---- the loop's steps (storage-sync.ts) ----

  /** Creates the bucket on the target, or finds it with other settings (blocked); false when it failed. */
  async prepare(): Promise<boolean> {
    this.busy = true;
    try {
      await prepareStorageBucket({ bucket: this.bucket });
      this.state = { ...this.state, prepared: true, lastError: null };
      return true;
    } catch (error) {
      const { message, blocked } = failureMessage(error);
      log.warn(`${this.bucket}: ${message}`);
      this.state = { ...this.state, lastError: { at: Date.now(), message, blocked } };
      this.attempts++;
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** One `storagePass` from the cursor, recorded (a failed one too). */
  async runPass(): Promise<void> {
    const startedAt = Date.now();
    this.busy = true;
    try {
      const result = await storagePass({
        bucket: this.bucket,
        cursor: this.state.cursor,
        lookbackMs: this.settings.lookbackMs,
        pageSize: this.settings.pageSize,
        refused: this.state.refused.map((r) => r.name),
      });
      this.state = recordStoragePass(this.state, { result }, startedAt, Date.now());
    } catch (error) {
      const { message, blocked } = failureMessage(error);
      this.state = recordStoragePass(this.state, { error: message }, startedAt, Date.now());
      // A bucket gone from the target, or its settings changed: prepare again.
      if (blocked)
        this.state = { ...this.state, prepared: false, lastError: { at: Date.now(), message, blocked } };
    } finally {
      this.busy = false;
    }
    this.passesThisRun++;
    this.attempts++;
  }

  /** Waits one interval, or until a pass is asked for or the workflow stops. */
  async untilNextPass(): Promise<void> {
    await condition(() => this.stopping || this.passDue, this.settings.intervalMs);
    this.passDue = false;
  }

  shouldContinueAsNew(): boolean {
    return (
      !this.stopping &&
      (this.passesThisRun >= this.settings.maxPassesPerRun || workflowInfo().continueAsNewSuggested)
    );
  }

  /** What continue-as-new carries over. */
  configuration(): StorageSyncInput & { state: StorageSyncState } {
    return { bucket: this.bucket, settings: this.settings, state: this.state };
  }

  /** What the workflow returns: the state stopped (a later start resumes from its cursor). */
  result(): StorageStatus {
    return storageStatus(this.bucket, this.state, true);
  }
}
