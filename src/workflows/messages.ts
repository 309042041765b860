/**
 * The table workflow's messages, shared by the workflow, the activities and the CLI.
 * Updates are used where the caller must know the change took effect. The CLI sends `pause`,
 * `resume`, `stop`, `reconcileNow` and `backfill` with one more argument, a RequestOptions: their
 * validators refuse it once it has expired (src/workflows/requests.ts).
 */
import { defineQuery, defineSignal, defineUpdate, type Sinks } from '@temporalio/workflow';
import type {
  PassOptions,
  RealtimeProgress,
  ReconcileResult,
  TableStatus,
  TableSyncInput,
} from '../contracts/table-sync.js';

/** Stop the timer passes and the realtime feed until resumed. Returns the new status. */
export const pauseUpdate = defineUpdate<TableStatus, [reason: string]>('pause');
export const resumeUpdate = defineUpdate<TableStatus>('resume');
/** Finish the current pass, stop the realtime feed, and complete the workflow. */
export const stopUpdate = defineUpdate<TableStatus>('stop');
/** Run a reconciliation + deletion pass now and return its result. `since` re-reads from that ISO time. */
export const reconcileNowUpdate = defineUpdate<ReconcileResult, [options: PassOptions]>('reconcileNow');

/** Copy the whole table again (progress in the status query's `initialCopy`). Returns at once. */
export const backfillUpdate = defineUpdate<TableStatus>('backfill');

/** New settings for a running table (the env and tables config at `npm run sync` start); the checkpoint is kept. */
export const configureUpdate = defineUpdate<TableStatus, [Omit<TableSyncInput, 'state'>]>('configure');

/** From the realtime activity: connection changes at once, counts and the watermark at most every 30 s. */
export const realtimeProgressSignal = defineSignal<[RealtimeProgress]>('realtimeProgress');
/**
 * From the realtime activity on every (re)subscribe: Realtime does not replay, so catch up now.
 * `worker`: the identity of the worker process the feed runs in (absent from older workers).
 */
export const realtimeSubscribedSignal = defineSignal<[{ at: string; worker?: string }]>('realtimeSubscribed');
/**
 * From another worker (src/engine/presence.ts): the worker process with this identity stopped
 * without a goodbye. A feed that ran there is started again elsewhere at once.
 */
export const feedWorkerLostSignal = defineSignal<[{ worker: string }]>('feedWorkerLost');

export const statusQuery = defineQuery<TableStatus>('status');

/** From the workflow to the worker process it runs in, through a Workflow Sink: see src/temporal/feed-control.ts. */
export interface FeedControlSinks extends Sinks {
  feedControl: {
    /**
     * The workflow no longer wants the realtime feed of this generation (pause, stop, realtime off,
     * new key columns, continue-as-new): a feed of it running in this worker process stops now.
     */
    release(generation: string): void;
  };
}
