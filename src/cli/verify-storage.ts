/**
 * The buckets' part of `supabase-sync verify` (docs/storage.md): each bucket's objects listed on
 * both projects in name order and compared by name, size, content type, cache control, user
 * metadata and ETag (both contents hashed, streamed, when the ETags cannot be compared:
 * compareObject); `--repair` copies what is missing or different from the source, removes what
 * the source does not have, and compares again (a copy's ETag may take another form than the
 * source's: it is hashed then). Runs in the CLI's process (no worker needed); one line a bucket.
 */
import { createHash } from 'node:crypto';
import type { SyncConfig } from '../contracts/config.js';
import type {
  StorageReader,
  StorageSource,
  StorageTarget,
  StoredObject,
} from '../contracts/storage-ports.js';
import {
  emptyDifferences,
  mergeListings,
  planBucket,
  type ObjectDifferences,
} from '../core/storage-compare.js';
import { copyObject } from '../activities/storage-copy.js';
import { connectStorageSource } from '../supabase/storage-source.js';
import { connectStorageTarget } from '../supabase/storage-target.js';

const PAGE = 1000;

export interface BucketVerdict {
  bucket: string;
  equal: boolean;
  objects: number;
  missing: string[];
  different: string[];
  extra: string[];
  repaired?: { copied: number; removed: number };
  error?: string;
}

/** The SHA-256 of an object's content, read as a stream (a chunk at a time, never the object). */
async function sha256(project: StorageReader, bucket: string, name: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of (await project.download(bucket, name)) as unknown as AsyncIterable<Uint8Array>)
    hash.update(chunk);
  return hash.digest('hex');
}

export async function compareBucket(
  source: StorageSource,
  target: StorageTarget,
  bucket: string,
): Promise<ObjectDifferences> {
  const into = emptyDifferences();
  let s: StoredObject[] = [];
  let t: StoredObject[] = [];
  let sAfter: string | null = null;
  let tAfter: string | null = null;
  let sourceDone = false;
  let targetDone = false;
  while (!(sourceDone && targetDone && s.length === 0 && t.length === 0)) {
    if (!sourceDone && s.length < PAGE) {
      const page = await source.listObjects(bucket, sAfter, PAGE);
      sourceDone = page.length < PAGE;
      if (page.length > 0) sAfter = (page[page.length - 1] as StoredObject).name;
      s = [...s, ...page];
    }
    if (!targetDone && t.length < PAGE) {
      const page = await target.listObjects(bucket, tAfter, PAGE);
      targetDone = page.length < PAGE;
      if (page.length > 0) tAfter = (page[page.length - 1] as StoredObject).name;
      t = [...t, ...page];
    }
    ({ source: s, target: t } = mergeListings(s, t, { sourceDone, targetDone }, into));
  }
  for (const object of into.hashNeeded) {
    const [a, b] = await Promise.all([
      sha256(source, bucket, object.name),
      sha256(target, bucket, object.name),
    ]);
    if (a !== b) into.different.push(object);
  }
  into.hashNeeded = [];
  return into;
}

async function repair(
  ports: { source: StorageSource; target: StorageTarget },
  bucket: string,
  d: ObjectDifferences,
): Promise<{ copied: number; removed: number }> {
  let copied = 0;
  for (const object of [...d.missing, ...d.different])
    if ((await copyObject(ports, bucket, object, () => undefined)) === 'copied') copied++;
  await ports.target.remove(bucket, d.extra);
  return { copied, removed: d.extra.length };
}

export async function verifyBuckets(
  cfg: SyncConfig,
  buckets: string[],
  repairing: boolean,
): Promise<BucketVerdict[]> {
  const source = connectStorageSource(cfg.source);
  const target = connectStorageTarget(cfg.target);
  const verdicts: BucketVerdict[] = [];
  for (const bucket of buckets) {
    const base = { bucket, equal: false, objects: 0, missing: [], different: [], extra: [] };
    try {
      const settings = await source.getBucket(bucket);
      if (!settings) throw new Error(`bucket ${bucket} does not exist on the source`);
      const plan = planBucket(settings, await target.getBucket(bucket));
      if (plan.action === 'refuse') throw new Error(plan.message);
      if (plan.action === 'create') {
        if (!repairing)
          throw new Error(`bucket ${bucket} does not exist on the target (--repair creates it)`);
        await target.createBucket(settings);
      }
      let d = await compareBucket(source, target, bucket);
      let repaired: BucketVerdict['repaired'];
      if (repairing && d.missing.length + d.different.length + d.extra.length > 0) {
        repaired = await repair({ source, target }, bucket, d);
        d = await compareBucket(source, target, bucket);
      }
      const names = (list: Array<StoredObject | string>) =>
        list.map((o) => (typeof o === 'string' ? o : o.name));
      verdicts.push({
        bucket,
        equal: d.missing.length + d.different.length + d.extra.length === 0,
        objects: d.compared + d.missing.length,
        missing: names(d.missing),
        different: names(d.different),
        extra: d.extra,
        ...(repaired ? { repaired } : {}),
      });
    } catch (error) {
      verdicts.push({ ...base, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return verdicts;
}

const firstFew = (names: string[]) =>
  names.length === 0 ? '' : ` (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`;

export function bucketLine(v: BucketVerdict): string {
  if (v.error) return `bucket ${v.bucket}: could not be verified: ${v.error}`;
  const repaired = v.repaired
    ? ` after repair (copied ${v.repaired.copied}, removed ${v.repaired.removed})`
    : '';
  if (v.equal) return `bucket ${v.bucket}: equal${repaired} — ${v.objects} objects`;
  return `bucket ${v.bucket}: DIFFERENT${repaired} — ${v.missing.length} missing on the target${firstFew(v.missing)}, ${v.different.length} different${firstFew(v.different)}, ${v.extra.length} only on the target${firstFew(v.extra)}`;
}
