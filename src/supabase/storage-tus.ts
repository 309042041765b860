/**
 * A resumable upload (TUS 1.0.0, as hosted Storage serves it at /storage/v1/upload/resumable) of a
 * stream, through tus-js-client (the client Supabase's guide uses): 6 MB chunks, each PATCH retried
 * from the server's offset after a failure, so memory holds one chunk, never the object.
 */
import { Readable } from 'node:stream';
import * as tus from 'tus-js-client';

/** Hosted Storage asks resumable clients for 6 MB chunks. */
export const TUS_CHUNK_SIZE = 6 * 1024 * 1024;

export interface TusUploadOptions {
  /** `<project url>/storage/v1/upload/resumable` */
  endpoint: string;
  serviceRoleKey: string;
  bucket: string;
  name: string;
  size: number;
  contentType: string;
  /** Seconds of `max-age`, or '' for no-cache (what TUS metadata can say). */
  cacheControl: string;
  userMetadata: Record<string, unknown> | null;
  signal?: AbortSignal;
}

/**
 * The cacheControl TUS metadata can carry: hosted Storage stores `max-age=<n>` for a number and
 * `no-cache` otherwise, so `max-age=3600` goes as "3600" and anything else as "" (no-cache).
 */
export function tusCacheControl(value: string | null): string {
  return /^max-age=(\d+)$/.exec(value ?? '')?.[1] ?? '';
}

/** The HTTP status of a failed TUS request, when the server answered. */
export function tusStatus(error: unknown): number | undefined {
  const response = (error as { originalResponse?: { getStatus(): number } | null }).originalResponse;
  return response ? response.getStatus() : undefined;
}

export function tusUpload(body: ReadableStream<Uint8Array>, options: TusUploadOptions): Promise<void> {
  const input = Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]);
  return new Promise<void>((resolve, reject) => {
    const upload = new tus.Upload(input, {
      endpoint: options.endpoint,
      headers: {
        authorization: `Bearer ${options.serviceRoleKey}`,
        apikey: options.serviceRoleKey,
        'x-upsert': 'true',
      },
      uploadSize: options.size,
      chunkSize: TUS_CHUNK_SIZE,
      retryDelays: [0, 1000, 3000, 5000],
      // A 4xx other than a conflict or lock will not change by retrying (too large, refused type).
      onShouldRetry: (error) => {
        const status = tusStatus(error);
        return status === undefined || status >= 500 || status === 409 || status === 423;
      },
      uploadDataDuringCreation: true,
      removeFingerprintOnSuccess: true,
      storeFingerprintForResuming: false,
      metadata: {
        bucketName: options.bucket,
        objectName: options.name,
        contentType: options.contentType,
        cacheControl: options.cacheControl,
        ...(options.userMetadata ? { metadata: JSON.stringify(options.userMetadata) } : {}),
      },
      onError: (error) => {
        input.destroy();
        reject(error);
      },
      onSuccess: () => resolve(),
    });
    options.signal?.addEventListener(
      'abort',
      () => {
        void upload.abort(true).catch(() => undefined);
        input.destroy();
        reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('upload aborted'));
      },
      { once: true },
    );
    upload.start();
  });
}
