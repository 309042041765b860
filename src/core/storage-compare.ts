/**
 * Comparing a bucket's objects on both projects (`supabase-sync verify`), pure: two listings in name
 * order merged into what is missing on the target, extra there, different, and what only content
 * hashes can tell (ETags of different forms: a multipart one on one side).
 */
import type { StoredObject } from '../supabase/storage-ports.js';

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

const multipart = (etag: string | null) => etag !== null && /-\d+"?$/.test(etag);

/** How the target's copy of an object compares: the same, different, or only a hash can tell. */
export function compareObject(source: StoredObject, target: StoredObject): 'same' | 'different' | 'hash' {
  if (
    source.size !== target.size ||
    (source.mimetype ?? '') !== (target.mimetype ?? '') ||
    (source.cacheControl ?? '') !== (target.cacheControl ?? '') ||
    JSON.stringify(source.userMetadata ?? {}) !== JSON.stringify(target.userMetadata ?? {})
  )
    return 'different';
  if (source.etag === target.etag) return 'same';
  return multipart(source.etag) !== multipart(target.etag) ? 'hash' : 'different';
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
