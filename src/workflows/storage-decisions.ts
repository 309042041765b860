/**
 * The pure decisions of Storage sync (no I/O, no Node built-ins: workflow and activity code both
 * use them; tested in test/unit/storage-decisions.test.ts): bucket settings, which objects to copy,
 * which an object the target refuses, where a pass starts, how a pass changes the state, and which
 * workflow settings `storageConfigure` refuses.
 */
import type { BucketSettings, ObjectCursor, StoredObject } from '../supabase/storage-ports.js';
import type {
  RefusedObject,
  StoragePassResult,
  StorageState,
  StorageStatus,
  StorageSyncSettings,
  StorageSyncState,
} from './storage-types.js';

/** At most this many refused objects are named in the state (the count is kept beside). */
export const MAX_REFUSED = 50;

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

const sameList = (a: string[] | null, b: string[] | null) =>
  JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());

export type BucketPlan = { action: 'create' } | { action: 'keep' } | { action: 'refuse'; message: string };

/** A bucket missing on the target is created as on the source; one with other settings is refused. */
export function planBucket(source: BucketSettings, target: BucketSettings | null): BucketPlan {
  if (!target) return { action: 'create' };
  const differences: string[] = [];
  if (source.public !== target.public)
    differences.push(`public ${String(target.public)} (source: ${String(source.public)})`);
  if (source.fileSizeLimit !== target.fileSizeLimit)
    differences.push(
      `file size limit ${target.fileSizeLimit ?? 'none'} (source: ${source.fileSizeLimit ?? 'none'})`,
    );
  if (!sameList(source.allowedMimeTypes, target.allowedMimeTypes))
    differences.push(
      `allowed MIME types ${target.allowedMimeTypes?.join(', ') ?? 'any'} (source: ${source.allowedMimeTypes?.join(', ') ?? 'any'})`,
    );
  if (differences.length === 0) return { action: 'keep' };
  return {
    action: 'refuse',
    message: `bucket ${source.id} on the target has other settings than on the source: ${differences.join('; ')}: make them the same on the target (Storage settings of the bucket, or storage.updateBucket) and the sync goes on`,
  };
}

/** Why the target will refuse an object, before sending it (its limit and MIME types), or null. */
export function refusalOf(object: StoredObject, bucket: BucketSettings): RefusedObject | null {
  if (bucket.fileSizeLimit !== null && object.size > bucket.fileSizeLimit) {
    return {
      name: object.name,
      reason: 'too-large',
      message: `${object.size} bytes, over the target bucket's file size limit of ${bucket.fileSizeLimit}`,
    };
  }
  const type = (object.mimetype ?? 'application/octet-stream').toLowerCase();
  if (
    bucket.allowedMimeTypes &&
    !bucket.allowedMimeTypes.some((allowed) => {
      const a = allowed.toLowerCase();
      return a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1)));
    })
  ) {
    return {
      name: object.name,
      reason: 'mime-type',
      message: `type ${type} is not allowed in the target bucket`,
    };
  }
  return null;
}

const multipart = (etag: string | null) => etag !== null && /-\d+"?$/.test(etag);

/**
 * Whether the target's object must be written from the source's. The same size, content type,
 * cache control and user metadata, and the same ETag, is the same object. An ETag of another form
 * (a multipart one on one side: a large object written resumably) cannot be compared: the target
 * is then current when it was written after the source's change.
 */
export function needsCopy(source: StoredObject, target: StoredObject | undefined): boolean {
  if (!target) return true;
  if (
    source.size !== target.size ||
    (source.mimetype ?? '') !== (target.mimetype ?? '') ||
    (source.cacheControl ?? '') !== (target.cacheControl ?? '') ||
    JSON.stringify(source.userMetadata ?? {}) !== JSON.stringify(target.userMetadata ?? {})
  )
    return true;
  if (source.etag === target.etag) return false;
  if (multipart(source.etag) !== multipart(target.etag)) return target.updatedAt < source.updatedAt;
  return true;
}

/** Where a pass reads from: the cursor's time minus the lookback (null: from the beginning). */
export function passFrom(cursor: ObjectCursor | null, lookbackMs: number): string | null {
  if (!cursor) return null;
  return new Date(Date.parse(cursor.updatedAt) - lookbackMs).toISOString();
}

/** The later of two keyset positions. */
export function laterCursor(a: ObjectCursor | null, b: ObjectCursor | null): ObjectCursor | null {
  if (!a) return b;
  if (!b) return a;
  if (a.updatedAt !== b.updatedAt) return a.updatedAt > b.updatedAt ? a : b;
  return a.name > b.name ? a : b;
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
