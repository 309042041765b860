/**
 * The source's Storage: its buckets, the objects changed since a cursor and the ledger of deletes
 * and moves (supabase/migrations/20261202150000_sync_storage.sql), and downloads as streams.
 */
import type {
  BucketSettings,
  ObjectCursor,
  StorageLedgerEntry,
  StorageSource,
  StoredObject,
} from '../contracts/storage-ports.js';
import type { ProjectConnection } from './client.js';
import { StorageProject } from './storage-project.js';

class SupabaseStorageSource extends StorageProject implements StorageSource {
  async listBuckets(): Promise<BucketSettings[]> {
    const { data, error } = await this.client.storage.listBuckets();
    if (error) throw this.storageFailure('listing buckets', error);
    return data.map((b) => ({
      id: b.id,
      public: b.public,
      fileSizeLimit: b.file_size_limit ?? null,
      allowedMimeTypes: b.allowed_mime_types && b.allowed_mime_types.length > 0 ? b.allowed_mime_types : null,
    }));
  }

  async enableBucket(id: string): Promise<boolean> {
    return this.rpc<boolean>('sync_storage_enable', { p_bucket: id }, `enabling the ledger of bucket ${id}`);
  }

  async changedObjects(
    bucket: string,
    from: string | null,
    after: ObjectCursor | null,
    limit: number,
  ): Promise<StoredObject[]> {
    return this.objects(
      await this.rpc(
        'sync_storage_read_objects',
        {
          p_bucket: bucket,
          p_from: from,
          p_after_updated: after?.updatedAt ?? null,
          p_after_name: after?.name ?? null,
          p_limit: limit,
        },
        `reading the changed objects of bucket ${bucket}`,
      ),
    );
  }

  async pendingLedger(bucket: string, limit: number): Promise<StorageLedgerEntry[]> {
    return this.rpc<StorageLedgerEntry[]>(
      'sync_storage_pending',
      { p_bucket: bucket, p_limit: limit },
      `reading the deleted and moved objects of bucket ${bucket}`,
    );
  }

  async markProcessed(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.rpc<number>(
      'sync_storage_mark_processed',
      { p_ids: ids },
      'marking ledger entries processed',
    );
  }
}

export function connectStorageSource(project: Omit<ProjectConnection, 'role'>): StorageSource {
  return new SupabaseStorageSource({ ...project, role: 'source' });
}
