/**
 * A local stand-in for Supabase Storage (as hosted projects serve it at /storage/v1) for the
 * unmodified supabase-js storage client. Wire behaviour follows supabase/storage's source: error
 * bodies `{statusCode, code, error, message}` sent with HTTP 400, rows in the `storage` schema
 * written as the real server writes them (schema.sql), bytes on disk under `storageDir`.
 *
 * Simplifications (deliberate; a development and test tool):
 * - One key only: the project's service_role JWT in `Authorization: Bearer` (hosted Storage reads
 *   no `apikey`). Requests run as `service_role`, so there is no RLS and no owner. Any other valid
 *   project JWT is refused (AccessDenied) instead of being served under RLS. Without a valid token
 *   only public objects (and signed URLs) can be read, as hosted.
 * - No image transformations (`/render/image`, `transform` options), no CDN cache purge, no S3
 *   protocol, no analytics/vector buckets (`type: 'ANALYTICS'` answers FeatureNotEnabled), no
 *   `x-robots-tag` handling beyond `none`, no TUS upload-concat (parallel uploads; hosted has none).
 * - Resumable uploads' state lives in `storageDir/tus/`; expired unfinished uploads are refused
 *   (410) but their bytes are not swept.
 * - Downloads read the object's headers from its `storage.objects` row (hosted reads them from S3).
 * - list-v2 with `with_delimiter` lists in name order only (a `sortBy` timestamp is ignored there).
 * - Emptying a bucket runs in this process right after the answer (hosted queues a job).
 * - JSON validation messages imitate Fastify's (ajv) where a client could see them; not every case.
 * - Uploads without Content-Length are limited while streaming (hosted checks the header only).
 * - ETags follow S3: md5 for standard uploads up to 5 MiB, multipart ETags in 5 MiB parts above
 *   that, and for TUS always multipart, in the parts hosted's TUS store makes of the client's
 *   requests (tus-parts.ts; hosted's TUS_PART_SIZE default of 50 MiB: another setting differs).
 */
import type http from 'node:http';
import pg from 'pg';
import { ERRORS, sendError, toStorageError } from './errors.js';
import { StorageDb } from './db.js';
import { FileStore } from './files.js';
import { TusState } from './tus-state.js';
import { findRoute } from './router.js';
import type { StorageContext } from './context.js';
import path from 'node:path';

/** Hosted Storage's global upload limit on the Free plan (and the default on paid ones): 50 MiB. */
export const DEFAULT_FILE_SIZE_LIMIT = 50 * 1024 * 1024;

export interface StorageHandlerOptions {
  databaseUrl: string;
  jwtSecret: string;
  /** Where object bytes live (created if missing). */
  storageDir: string;
  /** The project's global upload limit in bytes (default 50 MiB). */
  fileSizeLimit?: number;
  poolSize?: number;
  /** Receives unexpected errors (default: printed when DEVSTACK_STORAGE_DEBUG is set). */
  onError?: (error: unknown) => void;
}

export interface StorageHandler {
  /** Serve one request whose path starts with /storage/v1. Never rejects. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  close(): Promise<void>;
}

export async function createStorageHandler(options: StorageHandlerOptions): Promise<StorageHandler> {
  let closing = false;
  const report =
    options.onError ??
    ((error: unknown) => {
      if (process.env.DEVSTACK_STORAGE_DEBUG) console.error('[storage]', error);
    });
  const onError = (error: unknown) => {
    if (!closing) report(error);
  };
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? 10,
    application_name: 'devstack-storage',
  });
  pool.on('error', onError);
  const files = new FileStore(options.storageDir);
  await files.init();
  const ctx: StorageContext = {
    db: new StorageDb(pool),
    files,
    tus: new TusState(path.join(options.storageDir, 'tus')),
    jwtSecret: options.jwtSecret,
    fileSizeLimit: options.fileSizeLimit ?? DEFAULT_FILE_SIZE_LIMIT,
    background: new Set(),
    onError,
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const below = url.pathname.slice('/storage/v1'.length) || '/';
    const found = findRoute(method, below);
    try {
      if (!found) throw ERRORS.notFoundRoute(method, below + url.search);
      await found.handler(ctx, {
        req,
        res,
        method,
        path: below,
        query: url.searchParams,
        params: found.params,
      });
    } catch (error) {
      const storageError = toStorageError(error);
      if (storageError.status === 500) onError(error);
      req.resume();
      sendError(res, storageError, method);
    }
  };

  let closed: Promise<void> | null = null;
  return {
    handle: (req, res) => void handle(req, res),
    close: () => {
      closing = true;
      closed ??= (async () => {
        await Promise.allSettled([...ctx.background]);
        await ctx.db.close();
      })();
      return closed;
    },
  };
}
