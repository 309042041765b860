/**
 * Comparing objects and buckets on both projects, pure (no I/O, no Node built-ins: workflow and
 * activity code both use it; tested in test/unit/storage-decisions.test.ts): whether the target's
 * copy of an object is the same (`compareObject`, the one comparison of size, metadata and ETags),
 * hence whether a pass copies it (`needsCopy`) and what `supabase-sync verify` reports (two listings
 * in name order merged into what is missing on the target, extra there, different, and what only
 * content hashes can tell); whether the target's bucket may take the source's objects (`planBucket`,
 * `refusalOf`); where a pass reads from and the later of two keyset cursors.
 */
import type { BucketSettings, ObjectCursor, StoredObject } from '../contracts/storage-ports.js';
import type { RefusedObject } from '../contracts/storage-sync.js';

export interface ObjectDifferences {
  missing: StoredObject[];
  extra: string[];
  different: StoredObject[];
  /** Same size and metadata, ETags not comparable: hash both contents. */
  hashNeeded: StoredObject[];
  compared: number;
}

export function emptyDifferences(): ObjectDifferences {
  return { missing: [], extra: [], different: [], hashNeeded: [], compared: 0 };
}

/** An ETag without its quotes and weak prefix, lower case; null when there is none. */
function etagOf(etag: string | null): string | null {
  const bare = (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
  return bare === '' ? null : bare;
}

const plainMd5 = (etag: string) => /^[0-9a-f]{32}$/.test(etag);

/**
 * How the target's copy of an object compares: the same, different, or only a hash can tell. With
 * the same size and metadata, the ETags decide only when they can be compared: S3's ETag is the
 * content's md5 for a single-part write, but `md5(part md5s)-N` for a multipart one (a large
 * standard upload, every resumable one), which depends on where the parts fell. So two plain md5s
 * are equal or different, identical ETags of any form are the same object, and anything else (a
 * multipart ETag that is not identical, whatever the other's form or part count, or a missing
 * one) is for a hash of both contents to tell.
 */
export function compareObject(source: StoredObject, target: StoredObject): 'same' | 'different' | 'hash' {
  if (
    source.size !== target.size ||
    (source.mimetype ?? '') !== (target.mimetype ?? '') ||
    (source.cacheControl ?? '') !== (target.cacheControl ?? '') ||
    JSON.stringify(source.userMetadata ?? {}) !== JSON.stringify(target.userMetadata ?? {})
  )
    return 'different';
  const [a, b] = [etagOf(source.etag), etagOf(target.etag)];
  if (a === null || b === null) return 'hash';
  if (a === b) return 'same';
  return plainMd5(a) && plainMd5(b) ? 'different' : 'hash';
}

/**
 * Merges pages of both listings (each in name order) into `into`. `sourceDone`/`targetDone`: that
 * listing has no more pages. Returns the items not yet decided (to carry into the next merge).
 */
export function mergeListings(
  source: StoredObject[],
  target: StoredObject[],
  ends: { sourceDone: boolean; targetDone: boolean },
  into: ObjectDifferences,
): { source: StoredObject[]; target: StoredObject[] } {
  let i = 0;
  let j = 0;
  while (i < source.length && j < target.length) {
    const s = source[i] as StoredObject;
    const t = target[j] as StoredObject;
    if (s.name === t.name) {
      into.compared++;
      const verdict = compareObject(s, t);
      if (verdict === 'different') into.different.push(s);
      else if (verdict === 'hash') into.hashNeeded.push(s);
      i++;
      j++;
    } else if (s.name < t.name) {
      into.missing.push(s);
      i++;
    } else {
      into.extra.push(t.name);
      j++;
    }
  }
  if (ends.targetDone) for (; i < source.length; i++) into.missing.push(source[i] as StoredObject);
  if (ends.sourceDone) for (; j < target.length; j++) into.extra.push((target[j] as StoredObject).name);
  return { source: source.slice(i), target: target.slice(j) };
}

/**
 * Whether the target's object must be written from the source's (compareObject). When only a
 * hash could tell, a pass does not read both contents: the target is current when it was written
 * after the source's change (`verify` hashes them).
 */
export function needsCopy(source: StoredObject, target: StoredObject | undefined): boolean {
  if (!target) return true;
  const verdict = compareObject(source, target);
  if (verdict === 'hash') return target.updatedAt < source.updatedAt;
  return verdict === 'different';
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

/** At most this many refused objects are named in the state (the count is kept beside). */
export const MAX_REFUSED = 50;

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
