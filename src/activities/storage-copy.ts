/**
 * One object from the source to the target as a stream: the download's body goes to the target's
 * upload (standard, or TUS above the threshold) through a counter, so memory holds a chunk at a
 * time, never the object. An object gone from the source meanwhile is skipped (the ledger has it).
 */
import { SyncError } from '../contracts/ports.js';
import type { StorageSource, StorageTarget, StoredObject } from '../contracts/storage-ports.js';

export type CopyOutcome = 'copied' | 'vanished';

/** A pass-through that counts the bytes it hands on. */
function counting(onBytes: (n: number) => void): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      onBytes(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
}

export async function copyObject(
  ports: { source: StorageSource; target: StorageTarget },
  bucket: string,
  object: StoredObject,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<CopyOutcome> {
  let body: ReadableStream<Uint8Array>;
  try {
    body = await ports.source.download(bucket, object.name, signal);
  } catch (error) {
    if (error instanceof SyncError && / 404 |not found/i.test(error.message)) return 'vanished';
    throw error;
  }
  await ports.target.upload(bucket, object, body.pipeThrough(counting(onBytes)), signal);
  return 'copied';
}

/** Runs `work` over `items`, at most `limit` at once, in order of start. */
export async function eachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}
