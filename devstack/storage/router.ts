/**
 * The routes below /storage/v1, matched as hosted Storage's router (find-my-way) matches them:
 * static segments before parameters, so `/object/sign/…`, `/object/public/…` and friends are never
 * taken for a bucket. `*` is the rest of the path (the object key), percent-decoded.
 */
import * as buckets from './buckets.js';
import * as objects from './objects.js';
import { deleteObject, deleteObjects } from './objects-delete.js';
import { listObjects, listObjectsV2 } from './list.js';
import * as signed from './signed.js';
import { tusUpload } from './tus.js';
import { tusOptions } from './tus-protocol.js';
import type { Handler } from './context.js';

interface Route {
  method: string | string[];
  /** Segments: literal, `:name`, or a final `*`. */
  pattern: string[];
  handler: Handler;
  /** Fixed parameters (e.g. which /object/<route>/ variant). */
  fixed?: Record<string, string>;
}

const route = (
  method: string | string[],
  path: string,
  handler: Handler,
  fixed?: Record<string, string>,
): Route => ({
  method,
  pattern: path.split('/').filter(Boolean),
  handler,
  fixed,
});

const ROUTES: Route[] = [
  route('GET', '/bucket', buckets.listBuckets),
  route('POST', '/bucket', buckets.createBucket),
  route('POST', '/bucket/:bucket/empty', buckets.emptyBucket),
  route('GET', '/bucket/:bucket', buckets.getBucket),
  route('PUT', '/bucket/:bucket', buckets.updateBucket),
  route('DELETE', '/bucket/:bucket', buckets.deleteBucket),

  route('POST', '/object/list/:bucket', listObjects),
  route('POST', '/object/list-v2/:bucket', listObjectsV2),
  route('POST', '/object/move', objects.moveObject),
  route('POST', '/object/copy', objects.copyObject),
  route('POST', '/object/sign/:bucket', signed.createSignedUrls),
  route('POST', '/object/sign/:bucket/*', signed.createSignedUrl),
  route('GET', '/object/sign/:bucket/*', signed.getSignedObject),
  route('POST', '/object/upload/sign/:bucket/*', signed.createSignedUploadUrl),
  route('PUT', '/object/upload/sign/:bucket/*', signed.uploadToSignedUrl),
  route('GET', '/object/info/public/:bucket/*', objects.objectInfo, { route: 'public' }),
  route('GET', '/object/info/authenticated/:bucket/*', objects.objectInfo, { route: 'authenticated' }),
  route('GET', '/object/info/:bucket/*', objects.objectInfo, { route: 'default' }),
  route('GET', '/object/public/:bucket/*', objects.getObject, { route: 'public' }),
  route('HEAD', '/object/public/:bucket/*', objects.headObject, { route: 'public' }),
  route('GET', '/object/authenticated/:bucket/*', objects.getObject, { route: 'authenticated' }),
  route('HEAD', '/object/authenticated/:bucket/*', objects.headObject, { route: 'authenticated' }),
  route('GET', '/object/:bucket/*', objects.getObject, { route: 'default' }),
  route('HEAD', '/object/:bucket/*', objects.headObject, { route: 'default' }),
  route(['POST', 'PUT'], '/object/:bucket/*', objects.uploadObject),
  route('DELETE', '/object/:bucket', deleteObjects),
  route('DELETE', '/object/:bucket/*', deleteObject),

  route('OPTIONS', '/upload/resumable', tusOptions),
  route('OPTIONS', '/upload/resumable/*', tusOptions),
  route('POST', '/upload/resumable/sign', tusUpload, { signed: 'true' }),
  route(['HEAD', 'PATCH', 'DELETE'], '/upload/resumable/sign/:id', tusUpload, { signed: 'true' }),
  route('POST', '/upload/resumable', tusUpload),
  route(['HEAD', 'PATCH', 'DELETE'], '/upload/resumable/:id', tusUpload),
];

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function match(r: Route, segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = { ...r.fixed };
  for (let i = 0; i < r.pattern.length; i++) {
    const part = r.pattern[i]!;
    if (part === '*') {
      if (i >= segments.length) return undefined;
      params.key = segments.slice(i).map(decode).join('/');
      return params;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (part.startsWith(':')) {
      if (segment === '') return undefined;
      params[part.slice(1)] = decode(segment);
    } else if (part !== segment) return undefined;
  }
  return segments.length === r.pattern.length ? params : undefined;
}

/** `path` is below /storage/v1 and still percent-encoded. */
export function findRoute(
  method: string,
  path: string,
): { handler: Handler; params: Record<string, string> } | undefined {
  const segments = path.split('/').slice(1);
  for (const r of ROUTES) {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    if (!methods.includes(method)) continue;
    const params = match(r, segments);
    if (params) return { handler: r.handler, params };
  }
  return undefined;
}
