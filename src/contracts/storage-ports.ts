/**
 * The contract of the Storage adapters (src/supabase/storage-source.ts, storage-target.ts): object
 * metadata from the migration's functions (supabase/migrations/20261202150000_sync_storage.sql),
 * content as streams through supabase-js's storage client, never whole in memory.
 */

/** An object's metadata as the sync reads it (no content). */
export interface StoredObject {
  name: string;
  size: number;
  mimetype: string | null;
  cacheControl: string | null;
  etag: string | null;
  userMetadata: Record<string, unknown> | null;
  /** ISO time with microseconds (the keyset cursor's first half). */
  updatedAt: string;
}

/** The settings of a bucket the sync copies. */
export interface BucketSettings {
  id: string;
  public: boolean;
  /** Bytes, or null for the project's limit. */
  fileSizeLimit: number | null;
  allowedMimeTypes: string[] | null;
}

/** A ledger entry: the object's old place is gone (deleted, or moved away). */
export interface StorageLedgerEntry {
  id: string;
  name: string;
  kind: 'delete' | 'move';
}

/** A keyset position in (updated_at, name) order. */
export interface ObjectCursor {
  updatedAt: string;
  name: string;
}

/** What both projects answer. */
export interface StorageReader {
  getBucket(id: string): Promise<BucketSettings | null>;
  objectsByName(bucket: string, names: string[]): Promise<StoredObject[]>;
  /** In name order (C collation) after `after`. */
  listObjects(bucket: string, after: string | null, limit: number): Promise<StoredObject[]>;
  /** The content as a stream (the caller consumes or cancels it). */
  download(bucket: string, name: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>>;
}

export interface StorageSource extends StorageReader {
  listBuckets(): Promise<BucketSettings[]>;
  /** Starts logging the bucket's deletes and moves; true when it already was. */
  enableBucket(id: string): Promise<boolean>;
  /** Objects changed at or after `from`, or after `after` in keyset order. */
  changedObjects(
    bucket: string,
    from: string | null,
    after: ObjectCursor | null,
    limit: number,
  ): Promise<StoredObject[]>;
  pendingLedger(bucket: string, limit: number): Promise<StorageLedgerEntry[]>;
  markProcessed(ids: string[]): Promise<number>;
}

export interface StorageTarget extends StorageReader {
  createBucket(settings: BucketSettings): Promise<void>;
  /** Writes the object (overwriting) from `body`, `size` bytes; resumable (TUS) above the threshold. */
  upload(
    bucket: string,
    object: StoredObject,
    body: ReadableStream<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<void>;
  remove(bucket: string, names: string[]): Promise<void>;
}

/** Storage refused one object (too large for the bucket, a MIME type it does not allow). */
export class ObjectRefusedError extends Error {
  constructor(
    message: string,
    readonly reason: 'too-large' | 'mime-type',
  ) {
    super(message);
    this.name = 'ObjectRefusedError';
  }
}
