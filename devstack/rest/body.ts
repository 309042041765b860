/** Streams a request body into one string, enforcing the size limit (413, as the platform gateway). */
import type http from 'node:http';
import { RestError } from './errors.js';

/** 256 MiB: well above the sync engine's largest batches; V8 strings top out near 512 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024;

const tooLarge = (limit: number) =>
  new RestError(413, 'PGRST413', 'Request size limit exceeded', {
    gateway: true,
    details: `The request body is larger than ${limit} bytes`,
    headers: { Connection: 'close' },
  });

export function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size).toString('utf8'));
    });
    req.on('error', (error) => {
      failed = true;
      reject(error);
    });
  });
}

/** Discard a body we do not use (GET, DELETE). */
export function drainBody(req: http.IncomingMessage): void {
  req.resume();
}
