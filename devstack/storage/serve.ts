/**
 * Sending an object as hosted Storage's renderers do (supabase/storage `src/storage/renderer/*`):
 * the bytes streamed from disk with `Accept-Ranges`, `ETag`, `Last-Modified`, `Cache-Control` (or
 * `Expires` for a signed URL), `X-Robots-Tag: none`, a single `Range` answered with 206 (S3's rules:
 * a malformed range is ignored, an unsatisfiable one refused), `If-None-Match`/`If-Modified-Since`
 * answered with 304; HEAD with the headers only; /object/info as JSON.
 */
import { pipeline } from 'node:stream/promises';
import { StorageError, sendJson } from './errors.js';
import { iso, type StorageContext, type StorageRequest } from './context.js';
import type { ObjectRow } from './db.js';

interface Meta {
  eTag?: string;
  size?: number;
  mimetype?: string;
  cacheControl?: string;
  lastModified?: string;
  contentLength?: number;
}

const meta = (row: ObjectRow) => (row.metadata ?? {}) as Meta;

function lastModifiedHeader(m: Meta): string | undefined {
  if (!m.lastModified) return undefined;
  const date = new Date(m.lastModified);
  return Number.isNaN(date.getTime()) ? undefined : date.toUTCString();
}

function baseHeaders(m: Meta): Record<string, string> {
  const headers: Record<string, string> = { 'accept-ranges': 'bytes', 'x-robots-tag': 'none' };
  if (m.mimetype) headers['content-type'] = m.mimetype.includes('text/html') ? 'text/plain' : m.mimetype;
  if (m.eTag) headers.etag = m.eTag;
  const modified = lastModifiedHeader(m);
  if (modified) headers['last-modified'] = modified;
  return headers;
}

function contentDisposition(download: string | null): Record<string, string> {
  if (download === null) return {};
  if (download === '') return { 'content-disposition': 'attachment;' };
  const name = encodeURIComponent(download);
  return { 'content-disposition': `attachment; filename=${name}; filename*=UTF-8''${name}` };
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` on an object of `size` bytes; undefined when not a single valid range. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function notModified(r: StorageRequest, m: Meta): boolean {
  const ifNoneMatch = r.req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return ifNoneMatch === m.eTag || ifNoneMatch === '*';
  const since = r.req.headers['if-modified-since'];
  const modified = m.lastModified ? Date.parse(m.lastModified) : NaN;
  return since !== undefined && !Number.isNaN(Date.parse(since)) && modified <= Date.parse(since);
}

export async function sendObject(
  ctx: StorageContext,
  r: StorageRequest,
  row: ObjectRow,
  options: { expires?: string } = {},
): Promise<void> {
  const m = meta(row);
  const file = ctx.files.pathOf(row.bucket_id, row.name, row.version ?? '');
  const size = await ctx.files.size(file);
  if (size === undefined) {
    // The row exists but the bytes are gone: hosted answers S3's 404 this way.
    r.res.setHeader('cache-control', 'no-store');
    sendJson(r.res, 400, {
      error: 'Not found',
      message: 'The resource was not found',
      statusCode: '404',
      code: 'NoSuchKey',
    });
    return;
  }
  if (notModified(r, m)) {
    r.res.writeHead(304);
    r.res.end();
    return;
  }
  const headers: Record<string, string | number> = {
    ...baseHeaders(m),
    ...(options.expires
      ? { expires: options.expires }
      : m.cacheControl
        ? { 'cache-control': m.cacheControl }
        : {}),
    ...contentDisposition(r.query.get('download')),
  };
  const range = parseRange(r.req.headers.range, size);
  if (range === 'unsatisfiable') {
    throw new StorageError(416, 'S3Error', 'InvalidRange', 'The requested range is not satisfiable');
  }
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
    headers['content-length'] = range.end - range.start + 1;
    r.res.writeHead(206, headers);
  } else {
    headers['content-length'] = size;
    r.res.writeHead(200, headers);
  }
  if (size === 0 || (range && range.end < range.start)) {
    r.res.end();
    return;
  }
  await pipeline(ctx.files.read(file, range), r.res).catch((error: unknown) => {
    if (!r.res.destroyed) throw error;
  });
}

/** HEAD /object/…: the headers of a download from the row's metadata, no body. */
export function sendHead(r: StorageRequest, row: ObjectRow): void {
  const m = meta(row);
  const headers: Record<string, string | number> = baseHeaders(m);
  if (m.cacheControl) headers['cache-control'] = m.cacheControl;
  if (m.contentLength !== undefined) headers['content-length'] = m.contentLength;
  r.res.writeHead(200, headers);
  r.res.end();
}

/** GET /object/info/…: the object as JSON (the client camel-cases the keys). */
export function sendInfo(r: StorageRequest, row: ObjectRow): void {
  const m = meta(row);
  const headers: Record<string, string> = {};
  if (m.eTag) headers.etag = m.eTag;
  const modified = lastModifiedHeader(m);
  if (modified) headers['last-modified'] = modified;
  if (m.cacheControl) headers['cache-control'] = m.cacheControl;
  sendJson(
    r.res,
    200,
    {
      id: row.id,
      name: row.name,
      version: row.version,
      bucket_id: row.bucket_id,
      size: m.size ?? null,
      content_type: m.mimetype ?? null,
      cache_control: m.cacheControl ?? null,
      etag: m.eTag ?? null,
      metadata: row.user_metadata,
      last_modified: iso(row.updated_at),
      created_at: iso(row.created_at),
    },
    headers,
  );
}
