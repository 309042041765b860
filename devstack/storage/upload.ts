/**
 * One upload, as hosted Storage's `Uploader` does it (supabase/storage `src/storage/uploader.ts`):
 * the bucket is looked up, the body read (multipart/form-data for Blob/File/FormData bodies, the
 * raw body otherwise), the MIME type and size checked against the bucket, the row write tried and
 * rolled back first (so a duplicate without upsert fails before any byte is stored), the bytes
 * streamed to disk, then the row written with INSERT … ON CONFLICT DO UPDATE in one transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { ERRORS } from './errors.js';
import { parseUserMetadata, type Caller } from './http.js';
import {
  isEmptyFolderPlaceholder,
  maxUploadSize,
  mustBeValidBucketName,
  mustBeValidKey,
  validateUploadMimeType,
} from './limits.js';
import { scopeOf, type StorageContext, type StorageRequest } from './context.js';
import { findBucket, findObject, lockObjectName, upsertObject, type ObjectRow } from './db.js';

export interface UploadOptions {
  bucket: string;
  name: string;
  upsert: boolean;
  owner?: string;
  operation: string;
}

export interface ObjectMetadata {
  eTag: string;
  size: number;
  mimetype: string;
  cacheControl: string;
  lastModified: string;
  contentLength: number;
  httpStatusCode: number;
}

/** S3's LastModified has whole seconds; hosted stores the value S3 reports (now, for an empty object). */
export function lastModified(size: number): string {
  const now = Date.now();
  return new Date(size === 0 ? now : now - (now % 1000)).toISOString();
}

interface ParsedBody {
  stream: Readable;
  mimeType: string;
  cacheControl: string;
  userMetadata: Record<string, unknown> | undefined;
  /** Stops reading a multipart body after a failure. */
  abandon: () => void;
}

function rawBody(r: StorageRequest, maxSize: number): ParsedBody {
  const declared = Number(r.req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxSize) throw ERRORS.entityTooLarge();
  return {
    stream: r.req,
    mimeType: r.req.headers['content-type'] || 'application/octet-stream',
    cacheControl: r.req.headers['cache-control'] ?? 'no-cache',
    userMetadata: parseUserMetadata(r.req.headers['x-metadata']),
    abandon: () => r.req.resume(),
  };
}

/** The first file part of a form, with the `cacheControl`, `metadata` and `contentType` fields before it. */
function multipartBody(r: StorageRequest): Promise<ParsedBody> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: r.req.headers, limits: { fields: 10, files: 1 } });
    } catch {
      reject(ERRORS.noContentProvided());
      return;
    }
    const abandon = () => {
      r.req.unpipe(parser);
      r.req.resume();
    };
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (_name, stream, info) => {
      const custom = fields.metadata ?? fields.userMetadata;
      if (custom !== undefined && Buffer.byteLength(custom) > 1024 * 1024) {
        abandon();
        reject(ERRORS.entityTooLarge('user_metadata'));
        return;
      }
      let userMetadata: Record<string, unknown> | undefined;
      try {
        userMetadata = custom === undefined ? undefined : (JSON.parse(custom) as Record<string, unknown>);
      } catch {
        userMetadata = undefined;
      }
      resolve({
        stream,
        mimeType: fields.contentType || info.mimeType,
        cacheControl: fields.cacheControl ? `max-age=${fields.cacheControl}` : 'no-cache',
        userMetadata,
        abandon,
      });
    });
    parser.on('error', () => reject(ERRORS.noContentProvided()));
    parser.on('close', () => reject(ERRORS.noContentProvided()));
    r.req.pipe(parser);
  });
}

/** Tries the row write the upload will make, then rolls it back (hosted `canUpload`). */
export async function canUpload(
  ctx: StorageContext,
  caller: Caller,
  r: StorageRequest,
  opts: UploadOptions & { metadata?: Record<string, unknown>; userMetadata?: Record<string, unknown> },
): Promise<void> {
  try {
    await ctx.db.dryRun(scopeOf(caller, r, opts.operation), async (tx) => {
      const row = {
        bucket: opts.bucket,
        name: opts.name,
        owner: opts.owner,
        metadata: opts.metadata ?? null,
        userMetadata: opts.userMetadata,
        version: '1',
      };
      if (opts.upsert) await upsertObject(tx, row);
      else {
        await tx.query(
          'INSERT INTO storage.objects (name, owner_id, bucket_id, metadata, user_metadata, version) VALUES ($1, $2, $3, $4, $5, $6)',
          [row.name, row.owner ?? null, row.bucket, row.metadata, row.userMetadata ?? null, row.version],
        );
      }
    });
  } catch (error) {
    if (!opts.upsert && (error as { code?: string }).code === '23505') throw ERRORS.keyAlreadyExists();
    throw error;
  }
}

/** Writes the row of a stored version and deletes the bytes of the version it replaces (hosted `completeUpload`). */
export async function completeUpload(
  ctx: StorageContext,
  caller: Caller,
  r: StorageRequest,
  opts: UploadOptions & {
    version: string;
    metadata: ObjectMetadata;
    userMetadata: Record<string, unknown> | undefined;
  },
): Promise<ObjectRow> {
  try {
    const { row, replaced } = await ctx.db.transaction(scopeOf(caller, r, opts.operation), async (tx) => {
      await lockObjectName(tx, opts.bucket, opts.name);
      const current = await findObject(tx, opts.bucket, opts.name, true);
      const row = await upsertObject(tx, {
        bucket: opts.bucket,
        name: opts.name,
        owner: opts.owner,
        metadata: opts.metadata,
        userMetadata: opts.userMetadata,
        version: opts.version,
      });
      return { row, replaced: current?.version !== opts.version ? current : undefined };
    });
    if (replaced) await ctx.files.remove(opts.bucket, opts.name, replaced.version);
    return row;
  } catch (error) {
    await ctx.files.remove(opts.bucket, opts.name, opts.version);
    throw error;
  }
}

/** POST/PUT /object/:bucket/* and PUT /object/upload/sign/:bucket/*: returns the new row. */
export async function uploadFromRequest(
  ctx: StorageContext,
  caller: Caller,
  r: StorageRequest,
  opts: UploadOptions,
): Promise<ObjectRow> {
  mustBeValidBucketName(opts.bucket);
  const bucket = await ctx.db.transaction(scopeOf(caller, r, opts.operation), (tx) =>
    findBucket(tx, opts.bucket),
  );
  if (!bucket) throw ERRORS.noSuchBucket();
  const placeholder = isEmptyFolderPlaceholder(opts.name);
  const maxSize = placeholder ? 0 : maxUploadSize(bucket.file_size_limit, ctx.fileSizeLimit);
  const multipart = r.req.headers['content-type']?.startsWith('multipart/form-data') ?? false;
  const body = multipart ? await multipartBody(r) : rawBody(r, maxSize);
  let written: { size: number; eTag: string } | undefined;
  const version = randomUUID();
  try {
    if (bucket.allowed_mime_types && bucket.allowed_mime_types.length > 0 && !placeholder) {
      validateUploadMimeType(body.mimeType, bucket.allowed_mime_types);
    }
    mustBeValidKey(opts.name);
    await canUpload(ctx, caller, r, {
      ...opts,
      userMetadata: body.userMetadata,
      metadata: {
        mimetype: body.mimeType,
        contentLength: Number(r.req.headers['content-length']) || undefined,
      },
    });
    written = await ctx.files.write(body.stream, { bucket: opts.bucket, name: opts.name, version }, maxSize);
  } catch (error) {
    body.abandon();
    throw error;
  }
  const metadata: ObjectMetadata = {
    eTag: written.eTag,
    size: written.size,
    mimetype: body.mimeType,
    cacheControl: body.cacheControl,
    lastModified: lastModified(written.size),
    contentLength: written.size,
    httpStatusCode: 200,
  };
  return completeUpload(ctx, caller, r, {
    ...opts,
    version,
    metadata,
    userMetadata: { ...body.userMetadata },
  });
}
