/**
 * /object routes for one object (supabase/storage `src/http/routes/object/*`, `src/storage/object.ts`):
 * upload, update, download, HEAD, info, move and copy. A move UPDATEs the row (same id, new name,
 * bucket_id, version and metadata) and copies the bytes to the new version; a copy upserts a row
 * at the destination. Deleting is in objects-delete.ts, listing in list.ts, signed URLs in signed.ts.
 */
import { randomUUID } from 'node:crypto';
import { ERRORS, sendJson } from './errors.js';
import { authenticate, check, parseUserMetadata, readJson, type Caller } from './http.js';
import { mustBeValidBucketName, mustBeValidKey } from './limits.js';
import { scopeOf, type Handler, type StorageContext, type StorageRequest } from './context.js';
import { findBucket, findObject, lockObjectName, type ObjectRow } from './db.js';
import { renderObjectRow } from './objects-delete.js';
import { sendHead, sendInfo, sendObject } from './serve.js';
import { canUpload, completeUpload, lastModified, uploadFromRequest, type ObjectMetadata } from './upload.js';

export const uploadObject: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const update = r.method === 'PUT';
  const row = await uploadFromRequest(ctx, caller, r, {
    bucket: r.params.bucket!,
    name: r.params.key!,
    upsert: update || r.req.headers['x-upsert'] === 'true',
    owner: ownerOf(caller),
    operation: update ? 'storage.object.upload_update' : 'storage.object.upload',
  });
  sendJson(r.res, 200, { Id: row.id, Key: `${row.bucket_id}/${row.name}` });
};

export function ownerOf(caller: Caller): string | undefined {
  return typeof caller.claims.sub === 'string' ? caller.claims.sub : undefined;
}

export const ANONYMOUS: Caller = { authenticated: false, claims: { role: 'anon' } };

/**
 * The row a read route serves. /object/public/… needs no token and serves public buckets only;
 * /object/authenticated/… requires one; plain /object/… takes a token if valid, else is anonymous.
 * An anonymous caller sees only public buckets (a private one is "Bucket not found").
 */
async function readable(ctx: StorageContext, r: StorageRequest, operation: string): Promise<ObjectRow> {
  const route = r.params.route;
  const publicOnly = route === 'public';
  const caller = publicOnly ? ANONYMOUS : authenticate(r.req, ctx.jwtSecret, route !== 'authenticated');
  const bucketName = r.params.bucket!;
  mustBeValidBucketName(bucketName);
  return ctx.db.transaction(
    scopeOf(caller, r, publicOnly ? operation.replace('authenticated', 'public') : operation),
    async (tx) => {
      const bucket = await findBucket(tx, bucketName);
      if (!bucket || ((!caller.authenticated || publicOnly) && !bucket.public)) throw ERRORS.noSuchBucket();
      mustBeValidKey(r.params.key);
      const row = await findObject(tx, bucketName, r.params.key);
      if (!row) throw ERRORS.noSuchKey();
      return row;
    },
  );
}

/** GET /object/:bucket/*, /object/authenticated/:bucket/*, /object/public/:bucket/*. */
export const getObject: Handler = async (ctx, r) => {
  await sendObject(ctx, r, await readable(ctx, r, 'storage.object.get_authenticated'));
};

/** HEAD /object/…: what `exists()` asks. */
export const headObject: Handler = async (ctx, r) => {
  sendHead(r, await readable(ctx, r, 'object.head_authenticated_info'));
};

/** GET /object/info/…: what `info()` asks. */
export const objectInfo: Handler = async (ctx, r) => {
  sendInfo(r, await readable(ctx, r, 'object.get_authenticated_info'));
};

interface Transfer {
  bucketId: string;
  sourceKey: string;
  destinationKey: string;
  destinationBucket: string;
}

async function transferBody(r: StorageRequest): Promise<Transfer & { body: Record<string, unknown> }> {
  const body = await readJson(r.req);
  for (const name of ['bucketId', 'sourceKey', 'destinationKey']) check.required(body, name);
  const bucketId = check.string(body, 'bucketId')!;
  const sourceKey = check.string(body, 'sourceKey')!;
  const destinationKey = check.string(body, 'destinationKey')!;
  const destinationBucket = check.string(body, 'destinationBucket') || bucketId;
  mustBeValidBucketName(bucketId);
  mustBeValidKey(destinationKey);
  return { bucketId, sourceKey, destinationKey, destinationBucket, body };
}

/** The metadata S3 reports for a copied object (hosted reads it back with headObject). */
async function copiedMetadata(ctx: StorageContext, row: ObjectRow, file: string): Promise<ObjectMetadata> {
  const m = (row.metadata ?? {}) as Partial<ObjectMetadata>;
  const { size, eTag } = await ctx.files.eTagOf(file, Number.MAX_SAFE_INTEGER, false);
  return {
    cacheControl: m.cacheControl ?? 'no-cache',
    mimetype: m.mimetype ?? 'application/octet-stream',
    eTag,
    lastModified: lastModified(1),
    contentLength: size,
    httpStatusCode: 200,
    size,
  };
}

export const moveObject: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const t = await transferBody(r);
  const scope = scopeOf(caller, r, 'storage.object.move');
  const owner = ownerOf(caller);
  await ctx.db.dryRun(scope, async (tx) => {
    if (!(await findObject(tx, t.bucketId, t.sourceKey))) throw ERRORS.noSuchKey();
    await tx.query(
      'UPDATE storage.objects SET name = $1, bucket_id = $2, version = $3 WHERE bucket_id = $4 AND name = $5',
      [t.destinationKey, t.destinationBucket, randomUUID(), t.bucketId, t.sourceKey],
    );
  });
  if (t.bucketId === t.destinationBucket && t.sourceKey === t.destinationKey) {
    sendJson(r.res, 200, { message: 'Successfully moved' });
    return;
  }
  const version = randomUUID();
  const target = { bucket: t.destinationBucket, name: t.destinationKey, version };
  let source: ObjectRow | undefined;
  try {
    source = await ctx.db.transaction(scope, async (tx) => {
      await lockObjectName(tx, t.bucketId, t.destinationKey);
      const row = await findObject(tx, t.bucketId, t.sourceKey, true);
      if (!row) throw ERRORS.noSuchKey();
      await ctx.files.copy(ctx.files.pathOf(row.bucket_id, row.name, row.version ?? ''), target);
      const metadata = await copiedMetadata(ctx, row, ctx.files.pathOf(target.bucket, target.name, version));
      await tx.query(
        `UPDATE storage.objects SET name = $1, bucket_id = $2, version = $3, metadata = $4, user_metadata = $5${
          owner ? ', owner_id = $8' : ''
        } WHERE bucket_id = $6 AND name = $7`,
        [
          t.destinationKey,
          t.destinationBucket,
          version,
          metadata,
          row.user_metadata,
          t.bucketId,
          t.sourceKey,
          ...(owner ? [owner] : []),
        ],
      );
      return row;
    });
  } catch (error) {
    await ctx.files.remove(target.bucket, target.name, version);
    throw error;
  }
  await ctx.files.remove(source.bucket_id, source.name, source.version);
  sendJson(r.res, 200, { message: 'Successfully moved' });
};

export const copyObject: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const t = await transferBody(r);
  const scope = scopeOf(caller, r, 'storage.object.copy');
  const source = await ctx.db.transaction(scope, (tx) => findObject(tx, t.bucketId, t.sourceKey));
  if (!source) throw ERRORS.noSuchKey();
  const copyMetadata = check.boolean(t.body, 'copyMetadata') ?? true;
  const given = (t.body.metadata ?? {}) as { cacheControl?: string; mimetype?: string };
  const metadata = { ...(source.metadata ?? {}) } as Record<string, unknown>;
  if (!copyMetadata) {
    if (given.cacheControl !== undefined) metadata.cacheControl = given.cacheControl;
    if (given.mimetype !== undefined) metadata.mimetype = given.mimetype;
  }
  const userMetadata = copyMetadata
    ? (source.user_metadata ?? undefined)
    : parseUserMetadata(r.req.headers['x-metadata']);
  const opts = {
    bucket: t.destinationBucket,
    name: t.destinationKey,
    upsert: r.req.headers['x-upsert'] === 'true',
    owner: ownerOf(caller),
    operation: 'storage.object.copy',
  };
  await canUpload(ctx, caller, r, { ...opts, metadata, userMetadata });
  const version = randomUUID();
  await ctx.files.copy(ctx.files.pathOf(source.bucket_id, source.name, source.version ?? ''), {
    ...opts,
    version,
  });
  const copied = await copiedMetadata(ctx, source, ctx.files.pathOf(opts.bucket, opts.name, version));
  const row = await completeUpload(ctx, caller, r, {
    ...opts,
    version,
    metadata: {
      ...metadata,
      lastModified: copied.lastModified,
      eTag: copied.eTag,
    } as unknown as ObjectMetadata,
    userMetadata: userMetadata ?? undefined,
  });
  sendJson(r.res, 200, { Id: row.id, Key: `${opts.bucket}/${opts.name}`, ...renderObjectRow(row) });
};
