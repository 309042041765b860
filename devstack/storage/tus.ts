/**
 * Resumable uploads (TUS 1.0.0) at /storage/v1/upload/resumable, as hosted Storage serves them
 * (@tus/server 2 with supabase/storage `src/http/routes/tus/*` hooks): creation, creation-with-
 * upload, creation-defer-length, termination and expiration (1 hour); `Upload-Metadata` carries
 * bucketName, objectName, contentType, cacheControl and metadata (user metadata as JSON); `x-upsert`
 * allows overwriting. Chunks of any size are accepted (hosted's docs tell clients to send 6 MB).
 * Bytes are appended to a file on disk; the finished file becomes the object's version, its ETag
 * that of the S3 multipart upload hosted makes of the requests (tus-parts.ts). Errors are plain
 * text with the Storage status.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ERRORS, StorageError, isPgError, toStorageError } from './errors.js';
import { authenticate, type Caller } from './http.js';
import { maxUploadSize, validateUploadMimeType } from './limits.js';
import { scopeOf, type Handler, type StorageContext, type StorageRequest } from './context.js';
import { findBucket } from './db.js';
import { ownerOf } from './objects.js';
import { partsAfterRequest } from './tus-parts.js';
import { canUpload, completeUpload, lastModified, type ObjectMetadata } from './upload.js';
import { verifySignedToken } from './signed.js';
import { TusError, locked, parseMetadata, send, stringifyMetadata } from './tus-protocol.js';
import { decodeUploadId, encodeUploadId, makeUploadId, type UploadId, type UploadInfo } from './tus-state.js';

const EXPIRY_MS = 60 * 60 * 1000;
const OCTET = 'application/offset+octet-stream';

const expires = (info: UploadInfo) => new Date(Date.parse(info.creationDate) + EXPIRY_MS).toUTCString();
const expired = (info: UploadInfo) => Date.now() > Date.parse(info.creationDate) + EXPIRY_MS;

/**
 * Who uploads: the caller's JWT with `x-upsert`, or for /upload/resumable/sign/… the signed upload
 * token in `x-signature` (its owner and upsert; no row check before the upload, as hosted).
 */
interface Uploader {
  caller: Caller;
  owner?: string;
  upsert: boolean;
  signed: boolean;
}
type Identify = (id: UploadId) => Uploader;

function identify(ctx: StorageContext, r: StorageRequest): Identify {
  if (r.params.signed !== 'true') {
    const caller = authenticate(r.req, ctx.jwtSecret);
    return () => ({
      caller,
      owner: ownerOf(caller),
      upsert: r.req.headers['x-upsert'] === 'true',
      signed: false,
    });
  }
  return (id) => {
    const signature = r.req.headers['x-signature'];
    if (typeof signature !== 'string') throw ERRORS.invalidSignature('Missing x-signature header');
    const token = verifySignedToken(signature, ctx.jwtSecret, id.bucket, id.name, 'upload');
    return { caller: SERVICE, owner: token.owner, upsert: token.upsert === true, signed: true };
  };
}

const SERVICE: Caller = { authenticated: true, claims: { role: 'service_role' } };

async function maxSizeFor(ctx: StorageContext, caller: Caller, r: StorageRequest, id: UploadId) {
  const bucket = await ctx.db.transaction(scopeOf(caller, r, 'storage.tus.upload.create'), (tx) =>
    findBucket(tx, id.bucket),
  );
  if (!bucket) throw new TusError(404, 'Bucket not found');
  return { bucket, max: maxUploadSize(bucket.file_size_limit || null, ctx.fileSizeLimit) };
}

function userMetadataOf(info: UploadInfo): Record<string, unknown> | undefined {
  try {
    return info.metadata.metadata
      ? (JSON.parse(info.metadata.metadata) as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Appends the request body, refusing more than the upload's size (or `max` while deferred: 413
 * "upload's size exceeded"), and records the S3 parts it finished. Returns the new offset.
 */
async function append(
  ctx: StorageContext,
  r: StorageRequest,
  info: UploadInfo,
  offset: number,
  max: number,
): Promise<number> {
  const { id } = info;
  const room = (info.size ?? max) - offset;
  const declared = Number(r.req.headers['content-length']);
  if (Number.isFinite(declared) && declared > room) throw new TusError(413, "upload's size exceeded\n");
  let written = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      done(written > room ? new TusError(413, "upload's size exceeded\n") : null, chunk);
    },
  });
  // Piped, not pipelined: a refused chunk must not destroy the request (the connection is kept).
  const source = r.req.pipe(meter);
  r.req.once('error', (error) => meter.destroy(error));
  await pipeline(source, createWriteStream(ctx.tus.dataPath(id), { flags: 'a' })).finally(() =>
    r.req.unpipe(meter),
  );
  info.parts = partsAfterRequest(info.parts ?? [], offset + written, info.size, max);
  await ctx.tus.save(info);
  return offset + written;
}

async function finish(
  ctx: StorageContext,
  who: Uploader,
  r: StorageRequest,
  info: UploadInfo,
): Promise<void> {
  const { id } = info;
  const data = ctx.tus.dataPath(id);
  const { size, eTag } = await ctx.files.eTagOf(data, info.parts ?? [], true);
  const metadata: ObjectMetadata = {
    cacheControl: info.metadata.cacheControl ?? 'no-cache',
    mimetype: info.metadata.contentType || 'application/octet-stream',
    eTag,
    lastModified: lastModified(1),
    contentLength: size,
    httpStatusCode: 200,
    size,
  };
  await ctx.files.adopt(data, { bucket: id.bucket, name: id.name, version: id.version });
  await completeUpload(ctx, who.caller, r, {
    bucket: id.bucket,
    name: id.name,
    version: id.version,
    upsert: who.upsert,
    owner: who.owner,
    operation: 'storage.tus.upload.part',
    metadata,
    userMetadata: userMetadataOf(info),
  });
  await ctx.tus.save({ ...info, size, completed: true });
}

/** Every TUS request but HEAD first tries the row write (hosted's onIncomingRequest); signed ones do not. */
async function checkRow(
  ctx: StorageContext,
  who: Uploader,
  r: StorageRequest,
  info: UploadInfo,
  operation: string,
) {
  if (who.signed) return;
  await canUpload(ctx, who.caller, r, {
    bucket: info.id.bucket,
    name: info.id.name,
    upsert: who.upsert,
    owner: who.owner,
    operation,
    userMetadata: userMetadataOf(info),
    metadata: { mimetype: info.metadata.contentType ?? undefined, contentLength: info.size },
  });
}

async function create(ctx: StorageContext, identifyFor: Identify, r: StorageRequest): Promise<void> {
  const h = r.req.headers;
  if (h['upload-concat']) {
    throw new TusError(
      501,
      'Concatenation extension is not (yet) supported. Disable parallel uploads in the tus client.\n',
    );
  }
  const length = h['upload-length'];
  const deferred = h['upload-defer-length'];
  if ((length === undefined) === (deferred === undefined)) {
    throw new TusError(400, 'Upload-Length or Upload-Defer-Length header required\n');
  }
  const metadata = typeof h['upload-metadata'] === 'string' ? parseMetadata(h['upload-metadata']) : undefined;
  if (!metadata) throw new StorageError(400, 'InvalidRequest', 'Metadata header is required');
  const id = makeUploadId(metadata.bucketName, metadata.objectName, randomUUID());
  const who = identifyFor(id);
  const { bucket, max } = await maxSizeFor(ctx, who.caller, r, id);
  const size = length === undefined ? undefined : Number(length);
  if (size !== undefined && size > max) throw new TusError(413, 'Maximum size exceeded\n');
  await checkRow(ctx, who, r, { id, size, metadata, creationDate: '' }, 'storage.tus.upload.create');
  metadata.cacheControl = /^-?\d+$/.test(metadata.cacheControl ?? '')
    ? `max-age=${metadata.cacheControl}`
    : 'no-cache';
  if (metadata.contentType && bucket.allowed_mime_types)
    validateUploadMimeType(metadata.contentType, bucket.allowed_mime_types);
  const info: UploadInfo = { id, size, metadata, creationDate: new Date().toISOString() };
  const key = encodeUploadId(id);
  const headers: Record<string, string> = {};
  await locked(key, async () => {
    await ctx.tus.create(info);
    let offset = 0;
    if (h['content-type'] === OCTET) {
      offset = await append(ctx, r, info, 0, max);
      headers['upload-offset'] = String(offset);
    }
    if (size === offset) {
      await finish(ctx, who, r, info);
      headers['tus-complete'] = '1';
    } else headers['upload-expires'] = expires(info);
  });
  const host = h['x-forwarded-host'] ?? h.host;
  headers.location = `http://${String(host)}/storage/v1/upload/resumable/${who.signed ? 'sign/' : ''}${key}`;
  send(r, 201, headers);
}

async function patch(
  ctx: StorageContext,
  who: Uploader,
  r: StorageRequest,
  key: string,
  id: UploadId,
): Promise<void> {
  const h = r.req.headers;
  if (h['upload-offset'] === undefined) throw new TusError(403, 'Upload-Offset header required\n');
  if (h['content-type'] === undefined) throw new TusError(403, 'Content-Type header required\n');
  const { info: current } = await ctx.tus.get(id);
  await checkRow(ctx, who, r, current, 'storage.tus.upload.part');
  const { max } = await maxSizeFor(ctx, who.caller, r, id);
  await locked(key, async () => {
    const { info, offset } = await ctx.tus.get(id);
    if (expired(info) && !info.completed) throw new TusError(410, 'The file for this url no longer exists\n');
    if (info.completed || Number(h['upload-offset']) !== offset)
      throw new TusError(409, 'Upload-Offset conflict\n');
    if (h['upload-length'] !== undefined) {
      const size = Number(h['upload-length']);
      if (info.size !== undefined || size < offset)
        throw new TusError(400, 'Upload-Length or Upload-Defer-Length header required\n');
      if (size > max) throw new TusError(413, 'Maximum size exceeded\n');
      info.size = size;
      await ctx.tus.save(info);
    }
    const newOffset = await append(ctx, r, info, offset, max);
    const headers: Record<string, string> = { 'upload-offset': String(newOffset) };
    if (newOffset === info.size) {
      await finish(ctx, who, r, info);
      headers['tus-complete'] = '1';
    } else headers['upload-expires'] = expires(info);
    send(r, 204, headers);
  });
}

async function head(ctx: StorageContext, r: StorageRequest, id: UploadId): Promise<void> {
  const { info, offset } = await ctx.tus.get(id);
  if (expired(info) && !info.completed) throw new TusError(410, 'The file for this url no longer exists\n');
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    'upload-offset': String(info.completed ? info.size : offset),
    'upload-metadata': stringifyMetadata(info.metadata),
  };
  if (info.size === undefined) headers['upload-defer-length'] = '1';
  else headers['upload-length'] = String(info.size);
  if (!info.completed) headers['upload-expires'] = expires(info);
  send(r, 200, headers);
}

async function terminate(ctx: StorageContext, id: UploadId): Promise<void> {
  const { info } = await ctx.tus.get(id);
  if (info.completed) throw new TusError(400, 'Cannot terminate an already completed upload');
  await ctx.tus.remove(id);
}

/**
 * POST /upload/resumable, HEAD/PATCH/DELETE /upload/resumable/:id (and the same under /sign/ with
 * `x-signature`). JWT errors are JSON, as hosted (they fail before the TUS handler runs).
 */
export const tusUpload: Handler = async (ctx, r) => {
  const identifyFor = identify(ctx, r);
  try {
    if (!r.req.headers['tus-resumable']) throw new TusError(412, 'Tus-Resumable Required\n');
    if (r.method === 'POST') return await create(ctx, identifyFor, r);
    const key = r.params.id!;
    const id = decodeUploadId(key);
    const who = identifyFor(id);
    if (r.method === 'PATCH') return await patch(ctx, who, r, key, id);
    if (r.method === 'HEAD') return await head(ctx, r, id);
    await locked(key, () => terminate(ctx, id));
    send(r, 204);
  } catch (error) {
    r.req.resume();
    if (error instanceof TusError) send(r, error.status, {}, error.body);
    else if (error instanceof StorageError || isPgError(error)) {
      const storageError = toStorageError(error);
      send(r, storageError.status, {}, storageError.message);
    } else throw error;
  }
};
