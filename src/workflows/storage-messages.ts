/** The messages of a bucket's workflow (`storage-sync:<bucket>`), shared with the CLI. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { StorageStatus, StorageSyncSettings } from '../contracts/storage-sync.js';

export const storageStatusQuery = defineQuery<StorageStatus>('storageStatus');
/**
 * Finish the pass under way and complete (the state is the result: a later start resumes from it).
 * Answers once that pass ended, with it counted; at once when none runs.
 */
export const storageStopUpdate = defineUpdate<StorageStatus>('storageStop');
/** Run a pass now (returns once it is done). */
export const storageSyncNowUpdate = defineUpdate<StorageStatus>('storageSyncNow');
/** New settings from `npm run sync`'s start; the cursor is kept. */
export const storageConfigureUpdate = defineUpdate<StorageStatus, [StorageSyncSettings]>('storageConfigure');
