/**
 * The target's Storage: buckets created with the source's settings, objects written from a stream
 * (a standard upload up to the resumable threshold, TUS above it: storage-tus.ts), removed by name.
 * An object Storage refuses (too large for the bucket, a type it does not allow) is an
 * ObjectRefusedError: the caller reports it by name and goes on.
 */
import { StorageApiError } from '@supabase/supabase-js';
import {
  ObjectRefusedError,
  type BucketSettings,
  type StorageTarget,
  type StoredObject,
} from '../contracts/storage-ports.js';
import type { ProjectConnection } from './client.js';
import { objectPath, StorageProject } from './storage-project.js';
import { tusCacheControl, tusStatus, tusUpload } from './storage-tus.js';

/** Above this many bytes an object is uploaded resumably (hosted's guide: TUS above 6 MB). */
export const RESUMABLE_THRESHOLD = 6 * 1024 * 1024;
const REMOVE_BATCH = 1000;
/** Objects up to this size are read into memory before their upload (8 at once: 8 MB at most). */
const SMALL_OBJECT = 1024 * 1024;

/** A small object's bytes; past SMALL_OBJECT (it grew since its metadata was read) it streams on. */
async function readSmall(body: ReadableStream<Uint8Array>): Promise<Buffer | ReadableStream<Uint8Array>> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    chunks.push(value);
    size += value.byteLength;
    if (size > SMALL_OBJECT) break;
  }
  // The chunks read so far, then the rest of the body.
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const first = chunks.shift();
      if (first) return controller.enqueue(first);
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

class SupabaseStorageTarget extends StorageProject implements StorageTarget {
  constructor(
    project: ProjectConnection,
    private readonly threshold: number,
  ) {
    super(project);
  }

  async createBucket(settings: BucketSettings): Promise<void> {
    const { error } = await this.client.storage.createBucket(settings.id, {
      public: settings.public,
      ...(settings.fileSizeLimit !== null ? { fileSizeLimit: settings.fileSizeLimit } : {}),
      ...(settings.allowedMimeTypes ? { allowedMimeTypes: settings.allowedMimeTypes } : {}),
    });
    if (error) throw this.storageFailure(`creating bucket ${settings.id}`, error);
  }

  private refused(object: StoredObject, bucket: string, status: number | undefined): Error | undefined {
    if (status === 413)
      return new ObjectRefusedError(
        `${bucket}/${object.name} (${object.size} bytes) is larger than the target bucket's file size limit`,
        'too-large',
      );
    if (status === 415)
      return new ObjectRefusedError(
        `${bucket}/${object.name}: the target bucket does not allow its type ${object.mimetype ?? 'unknown'}`,
        'mime-type',
      );
    return undefined;
  }

  async upload(
    bucket: string,
    object: StoredObject,
    body: ReadableStream<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<void> {
    const contentType = object.mimetype ?? 'application/octet-stream';
    if (object.size > this.threshold) {
      try {
        await tusUpload(body, {
          endpoint: `${this.project.url.replace(/\/$/, '')}/storage/v1/upload/resumable`,
          serviceRoleKey: this.project.serviceRoleKey,
          bucket,
          name: object.name,
          size: object.size,
          contentType,
          cacheControl: tusCacheControl(object.cacheControl),
          userMetadata: object.userMetadata,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        throw (
          this.refused(object, bucket, tusStatus(error)) ??
          this.storageFailure(`uploading ${bucket}/${object.name}`, error)
        );
      }
      return;
    }
    // Up to 1 MB the body is read first and sent with its length (a request with a body of known
    // size is cheaper for Storage than a chunked one); above, it streams through.
    const content = object.size <= SMALL_OBJECT ? await readSmall(body) : body;
    const { error } = await this.client.storage.from(bucket).upload(objectPath(object.name), content, {
      upsert: true,
      contentType,
      headers: { 'cache-control': object.cacheControl ?? 'no-cache' },
      ...(object.userMetadata ? { metadata: object.userMetadata } : {}),
    });
    if (error) {
      const status = error instanceof StorageApiError ? Number(error.statusCode) : undefined;
      throw (
        this.refused(object, bucket, status) ??
        this.storageFailure(`uploading ${bucket}/${object.name}`, error)
      );
    }
  }

  async remove(bucket: string, names: string[]): Promise<void> {
    for (let i = 0; i < names.length; i += REMOVE_BATCH) {
      const { error } = await this.client.storage.from(bucket).remove(names.slice(i, i + REMOVE_BATCH));
      if (error) throw this.storageFailure(`removing objects of bucket ${bucket}`, error);
    }
  }
}

export function connectStorageTarget(
  project: Omit<ProjectConnection, 'role'>,
  options: { resumableThreshold?: number } = {},
): StorageTarget {
  return new SupabaseStorageTarget(
    { ...project, role: 'target' },
    options.resumableThreshold ?? RESUMABLE_THRESHOLD,
  );
}
