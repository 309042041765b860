/**
 * The pure decisions of a bucket's workflow (no I/O, no Node built-ins; tested in
 * test/unit/storage-decisions.test.ts): its id, how a pass changes the state, the status it shows,
 * and which workflow settings `storageConfigure` refuses. Comparing objects and buckets is
 * src/core/storage-compare.ts's.
 */
import type {
  StoragePassResult,
  StorageState,
  StorageStatus,
  StorageSyncSettings,
  StorageSyncState,
} from '../contracts/storage-sync.js';
import { laterCursor, MAX_REFUSED } from '../core/storage-compare.js';

export function storageWorkflowId(bucket: string): string {
  return `storage-sync:${bucket}`;
}

export function bucketFromWorkflowId(id: string): string | undefined {
  return id.startsWith('storage-sync:') && id.length > 13 ? id.slice(13) : undefined;
}

export function initialStorageState(): StorageSyncState {
  return {
    cursor: null,
    prepared: false,
    counters: { objectsCopied: 0, bytesCopied: 0, objectsUnchanged: 0, objectsDeleted: 0 },
    refused: [],
    lastPass: null,
    lastError: null,
    passes: 0,
  };
}

/** The settings' fields: each a whole number within its bounds, or `loop` a boolean. */
const SETTING_BOUNDS: Record<Exclude<keyof StorageSyncSettings, 'loop'>, [number, number]> = {
  intervalMs: [1, Number.MAX_SAFE_INTEGER],
  lookbackMs: [0, Number.MAX_SAFE_INTEGER],
  pageSize: [1, 10_000],
  maxPassesPerRun: [1, Number.MAX_SAFE_INTEGER],
};

/** A value as a message shows it (NaN as NaN, a missing field as nothing). */
const shown = (value: unknown): string =>
  value === undefined ? 'nothing' : typeof value === 'number' ? String(value) : JSON.stringify(value);

/** Why `settings` are not a bucket workflow's settings (undefined: they are). */
export function storageSettingsError(settings: unknown): string | undefined {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings))
    return `settings must be an object with ${[...Object.keys(SETTING_BOUNDS), 'loop'].join(', ')} (got ${shown(settings)})`;
  const given = settings as Record<string, unknown>;
  const problems: string[] = [];
  for (const [field, [min, max]] of Object.entries(SETTING_BOUNDS)) {
    const value = given[field];
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) continue;
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    problems.push(`${field} must be a whole number ${range} (got ${shown(value)})`);
  }
  if (typeof given.loop !== 'boolean') problems.push(`loop must be true or false (got ${shown(given.loop)})`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** The state after a pass that ended with `result` (or failed with `error`). */
export function recordStoragePass(
  state: StorageSyncState,
  outcome: { result: StoragePassResult } | { error: string },
  startedAt: number,
  now: number,
): StorageSyncState {
  const durationMs = now - startedAt;
  if ('error' in outcome) {
    return {
      ...state,
      passes: state.passes + 1,
      lastError: { at: now, message: outcome.error, blocked: false },
      lastPass: {
        ok: false,
        finishedAt: now,
        durationMs,
        copied: 0,
        bytes: 0,
        unchanged: 0,
        deleted: 0,
        refused: state.refused.length,
        error: outcome.error,
      },
    };
  }
  const r = outcome.result;
  const c = state.counters;
  return {
    ...state,
    cursor: laterCursor(state.cursor, r.cursor),
    passes: state.passes + 1,
    counters: {
      objectsCopied: c.objectsCopied + r.copied,
      bytesCopied: c.bytesCopied + r.bytes,
      objectsUnchanged: c.objectsUnchanged + r.unchanged,
      objectsDeleted: c.objectsDeleted + r.deleted,
    },
    refused: r.refused.slice(0, MAX_REFUSED),
    lastError: null,
    lastPass: {
      ok: true,
      finishedAt: now,
      durationMs,
      copied: r.copied,
      bytes: r.bytes,
      unchanged: r.unchanged,
      deleted: r.deleted,
      refused: r.refusedCount,
    },
  };
}

export function storageState(state: StorageSyncState, stopped: boolean): StorageState {
  if (stopped) return 'stopped';
  if (state.lastError?.blocked) return 'blocked';
  if (!state.prepared) return 'starting';
  if (state.lastError) return 'failing';
  return state.passes === 0 || (state.lastPass === null && state.cursor === null) ? 'copying' : 'running';
}

export function storageStatus(bucket: string, state: StorageSyncState, stopped: boolean): StorageStatus {
  return {
    bucket,
    workflowId: storageWorkflowId(bucket),
    state: storageState(state, stopped),
    cursor: state.cursor,
    counters: state.counters,
    refused: state.refused,
    refusedCount: state.lastPass?.refused ?? state.refused.length,
    lastPass: state.lastPass,
    lastError: state.lastError,
    passes: state.passes,
  };
}

/** What the memo shows, without the times every pass moves: a new memo only when this changes. */
export function storageMemoSignature(s: StorageStatus): string {
  return JSON.stringify([
    s.state,
    s.counters,
    s.refused.map((r) => r.name),
    s.refusedCount,
    s.lastError?.message ?? null,
    s.lastPass?.ok ?? null,
  ]);
}
