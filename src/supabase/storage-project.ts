/**
 * What the Storage adapters of both roles share: a supabase-js client whose storage requests that
 * carry content have no overall deadline (a 1 GB object takes minutes; the caller's signal ends
 * them), the migration's metadata reads (`rpc`), bucket settings, listing and streamed downloads.
 * Errors become SyncErrors naming the project, never the key.
 */
import { createClient, StorageApiError, type RealtimeClientOptions } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { SyncError } from '../contracts/ports.js';
import type { BucketSettings, StorageReader, StoredObject } from '../contracts/storage-ports.js';
import { apiError, type FailedCall } from './api-errors.js';
import type { ProjectConnection } from './client.js';

const REQUEST_TIMEOUT_MS = 60_000;

/** Requests that move content (downloads, uploads, TUS chunks) run as long as their caller lets them. */
const storageFetch: typeof fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const content = /\/storage\/v1\/(object|upload)\//.test(url) && !/\/object\/(list|info|sign)\//.test(url);
  return fetch(input, {
    ...init,
    signal: init?.signal ?? (content ? null : AbortSignal.timeout(REQUEST_TIMEOUT_MS)),
  });
};

export function newStorageClient(project: ProjectConnection) {
  return createClient(project.url, project.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: storageFetch },
    // Node 20 has no global WebSocket; supabase-js builds a Realtime client even when unused.
    realtime: { transport: WebSocket as unknown as NonNullable<RealtimeClientOptions['transport']> },
    db: { schema: 'public' },
  });
}

interface ObjectJson {
  name: string;
  size: number | string;
  mimetype: string | null;
  cache_control: string | null;
  etag: string | null;
  user_metadata: Record<string, unknown> | null;
  updated_at: string;
}

function toObject(o: ObjectJson): StoredObject {
  return {
    name: o.name,
    size: Number(o.size),
    mimetype: o.mimetype,
    cacheControl: o.cache_control,
    etag: o.etag,
    userMetadata: o.user_metadata,
    updatedAt: o.updated_at,
  };
}

/**
 * An object's name as the path of a Storage URL: supabase-js puts the name into the URL as it is,
 * so a `?` or `#` in it (possible through resumable uploads) would end the path; each segment is
 * percent-encoded, and Storage decodes the path.
 */
export function objectPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

export abstract class StorageProject implements StorageReader {
  protected readonly client: ReturnType<typeof newStorageClient>;

  constructor(protected readonly project: ProjectConnection) {
    this.client = newStorageClient(project);
  }

  protected get on(): string {
    return `${this.project.role} project (${this.project.url})`;
  }

  /** A Storage API error as one line; `bucket/name` is named, content never. */
  protected storageFailure(what: string, error: unknown): SyncError {
    if (error instanceof StorageApiError) {
      const status = Number(error.statusCode) || error.status;
      const variable = `SYNC_${this.project.role.toUpperCase()}_SUPABASE`;
      if (status === 401 || status === 403)
        return new SyncError(
          `${this.on}: ${what} was refused (${status} ${error.message}): check ${variable}_SERVICE_ROLE_KEY is that project's service role key`,
          'auth',
        );
      if (status >= 500)
        return new SyncError(
          `${this.on}: ${what} failed (${status} ${error.message}): check that the project is up`,
          'unavailable',
        );
      return new SyncError(`${this.on}: ${what} failed (${status} ${error.message})`, 'request');
    }
    const message = error instanceof Error ? error.message : String(error);
    return new SyncError(`${this.on}: ${what} failed, Storage is unreachable (${message})`, 'unavailable');
  }

  protected async rpc<T>(fn: string, args: Record<string, unknown>, what: string): Promise<T> {
    const response = await this.client.rpc(fn, args);
    if (response.error) {
      const call: FailedCall = { what, error: response.error, status: response.status, migration: 'storage' };
      throw apiError(this.project, call);
    }
    return response.data as T;
  }

  protected objects(rows: ObjectJson[]): StoredObject[] {
    return rows.map(toObject);
  }

  async getBucket(id: string): Promise<BucketSettings | null> {
    const { data, error } = await this.client.storage.getBucket(id);
    if (error) {
      if (error instanceof StorageApiError && (error.statusCode === '404' || error.status === 404))
        return null;
      throw this.storageFailure(`reading bucket ${id}`, error);
    }
    return {
      id: data.id,
      public: data.public,
      fileSizeLimit: data.file_size_limit ?? null,
      allowedMimeTypes:
        data.allowed_mime_types && data.allowed_mime_types.length > 0 ? data.allowed_mime_types : null,
    };
  }

  async objectsByName(bucket: string, names: string[]): Promise<StoredObject[]> {
    if (names.length === 0) return [];
    return this.objects(
      await this.rpc<ObjectJson[]>(
        'sync_storage_objects_by_name',
        { p_bucket: bucket, p_names: names },
        `reading objects of bucket ${bucket}`,
      ),
    );
  }

  async listObjects(bucket: string, after: string | null, limit: number): Promise<StoredObject[]> {
    return this.objects(
      await this.rpc<ObjectJson[]>(
        'sync_storage_list_objects',
        { p_bucket: bucket, p_after: after, p_limit: limit },
        `listing objects of bucket ${bucket}`,
      ),
    );
  }

  async download(bucket: string, name: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const { data, error } = await this.client.storage
      .from(bucket)
      .download(objectPath(name), {}, signal ? { signal } : {})
      .asStream();
    if (error) throw this.storageFailure(`downloading ${bucket}/${name}`, error);
    return data as ReadableStream<Uint8Array>;
  }
}
