/**
 * What a bucket's workflow (`storage-sync:<bucket>`) carries: the bucket id, a keyset cursor on
 * (updated_at, name), counts and the names of refused objects (at most MAX_REFUSED) — never object
 * content, never keys.
 */
import type { ObjectCursor } from './storage-ports.js';

export interface StorageSyncSettings {
  intervalMs: number;
  lookbackMs: number;
  /** Objects per metadata page (the RPC's limit is 10000). */
  pageSize: number;
  /** false: one pass, then the workflow completes. */
  loop: boolean;
  maxPassesPerRun: number;
}

export interface RefusedObject {
  name: string;
  reason: 'too-large' | 'mime-type';
  message: string;
}

export interface StorageCounters {
  objectsCopied: number;
  bytesCopied: number;
  objectsUnchanged: number;
  objectsDeleted: number;
}

export interface StoragePassSummary {
  ok: boolean;
  finishedAt: number;
  durationMs: number;
  copied: number;
  bytes: number;
  unchanged: number;
  deleted: number;
  refused: number;
  error?: string;
}

export interface StorageSyncState {
  /** Where the next pass starts (minus the lookback); null: from the beginning. */
  cursor: ObjectCursor | null;
  prepared: boolean;
  counters: StorageCounters;
  refused: RefusedObject[];
  lastPass: StoragePassSummary | null;
  lastError: { at: number; message: string; blocked: boolean } | null;
  passes: number;
}

export interface StorageSyncInput {
  bucket: string;
  settings: StorageSyncSettings;
  state?: StorageSyncState;
}

/** What a pass activity returns: counts, the new cursor and the refused objects' names. */
export interface StoragePassResult {
  cursor: ObjectCursor | null;
  copied: number;
  bytes: number;
  unchanged: number;
  deleted: number;
  refused: RefusedObject[];
  refusedCount: number;
}

export type StorageState = 'starting' | 'copying' | 'running' | 'failing' | 'blocked' | 'stopped';

export interface StorageStatus {
  bucket: string;
  workflowId: string;
  state: StorageState;
  cursor: ObjectCursor | null;
  counters: StorageCounters;
  refused: RefusedObject[];
  refusedCount: number;
  lastPass: StoragePassSummary | null;
  lastError: StorageSyncState['lastError'];
  passes: number;
}
