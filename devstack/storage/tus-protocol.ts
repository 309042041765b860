/**
 * The TUS 1.0.0 protocol as @tus/server 2 (which hosted Storage runs) speaks it: the
 * `Upload-Metadata` format, plain-text errors, the headers of every answer, OPTIONS, and one request
 * at a time per upload.
 */
import type { Handler, StorageRequest } from './context.js';

/** @tus/server's message for an invalid Upload-Metadata header. */
export const INVALID_METADATA =
  'Upload-Metadata is invalid. It MUST consist of one or more comma-separated key-value pairs. The key and value MUST be separated by a space. The key MUST NOT contain spaces and commas and MUST NOT be empty. The key SHOULD be ASCII encoded and the value MUST be Base64 encoded. All keys MUST be unique';

export type TusMetadata = Record<string, string | null>;

export function parseMetadata(header: string): TusMetadata {
  const metadata: TusMetadata = {};
  for (const pair of header.split(',')) {
    const tokens = pair.trim().split(' ');
    const [key, value] = tokens;
    const valid =
      (tokens.length === 1 && key !== '') ||
      (tokens.length === 2 && key !== '' && value !== undefined && /^[A-Za-z0-9+/]*={0,2}$/.test(value));
    if (!valid || key === undefined || key in metadata || /[\s,]/.test(key))
      throw new TusError(400, INVALID_METADATA);
    metadata[key] = value === undefined ? null : Buffer.from(value, 'base64').toString('utf8');
  }
  return metadata;
}

export function stringifyMetadata(metadata: TusMetadata): string {
  return Object.entries(metadata)
    .map(([key, value]) => (value === null ? key : `${key} ${Buffer.from(value, 'utf8').toString('base64')}`))
    .join(',');
}

/** A TUS answer: the status and a plain-text body (the Storage error's message for storage errors). */
export class TusError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(body);
  }
}

const EXTENSIONS = 'creation,creation-with-upload,creation-defer-length,termination,expiration';
const EXPOSED =
  'Authorization, Content-Type, Location, Tus-Extension, Tus-Max-Size, Tus-Resumable, Tus-Version, Upload-Concat, Upload-Defer-Length, Upload-Length, Upload-Metadata, Upload-Offset, X-HTTP-Method-Override, X-Requested-With, X-Forwarded-Host, X-Forwarded-Proto, Forwarded';

export function send(r: StorageRequest, status: number, headers: Record<string, string> = {}, body = '') {
  r.res.writeHead(status, { 'tus-resumable': '1.0.0', 'access-control-expose-headers': EXPOSED, ...headers });
  r.res.end(body);
}

export const tusOptions: Handler = (ctx, r) => {
  send(r, 204, {
    'tus-version': '1.0.0',
    'tus-extension': EXTENSIONS,
    'tus-max-size': String(ctx.fileSizeLimit),
    'access-control-allow-methods': 'POST, HEAD, PATCH, OPTIONS, DELETE',
    'access-control-allow-headers':
      'Authorization, Content-Type, Location, Tus-Extension, Tus-Max-Size, Tus-Resumable, Tus-Version, Upload-Concat, Upload-Defer-Length, Upload-Length, Upload-Metadata, Upload-Offset, X-HTTP-Method-Override, X-Requested-With, X-Forwarded-Host, X-Forwarded-Proto, Forwarded, X-Upsert, Upload-Expires, ApiKey, x-signature',
    'access-control-max-age': '86400',
  });
  return Promise.resolve();
};

/** One request at a time per upload (hosted holds a lock per upload id). */
const locks = new Map<string, Promise<unknown>>();
export async function locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(fn);
  locks.set(key, run);
  try {
    return await run;
  } finally {
    if (locks.get(key) === run) locks.delete(key);
  }
}
