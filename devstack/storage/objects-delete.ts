/**
 * Deleting objects (DELETE /object/:bucket with `prefixes`, and the single-object DELETE): one
 * `DELETE … RETURNING *` per batch of 500 names, as hosted Storage's `deleteObjects`, then their bytes.
 */
import { ERRORS, sendJson } from './errors.js';
import { authenticate, readJson } from './http.js';
import { mustBeValidBucketName } from './limits.js';
import { iso, scopeOf, type Handler, type StorageContext } from './context.js';
import { findObject, type ObjectRow, type Tx } from './db.js';

const DELETE_BATCH = 500;

/** An object row as hosted's `objectSchema` serializes it (null strings become ""). */
export function renderObjectRow(row: ObjectRow) {
  return {
    name: row.name,
    bucket_id: row.bucket_id,
    owner: row.owner ?? '',
    owner_id: row.owner_id ?? '',
    version: row.version ?? '',
    id: row.id,
    updated_at: iso(row.updated_at),
    created_at: iso(row.created_at),
    last_accessed_at: iso(row.last_accessed_at),
    metadata: row.metadata,
    user_metadata: row.user_metadata,
  };
}

export async function deleteObjectRows(
  ctx: StorageContext,
  tx: Tx,
  bucket: string,
  names: string[],
): Promise<ObjectRow[]> {
  if (names.length === 0) return [];
  const rows = (
    await tx.query<ObjectRow>(
      'DELETE FROM storage.objects WHERE bucket_id = $1 AND name = ANY($2) RETURNING *',
      [bucket, names],
    )
  ).rows;
  await Promise.all(rows.map((row) => ctx.files.remove(bucket, row.name, row.version)));
  return rows;
}

export const deleteObjects: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const body = await readJson(r.req);
  const prefixes = body.prefixes;
  if (prefixes === undefined) throw ERRORS.validation("body must have required property 'prefixes'");
  if (!Array.isArray(prefixes)) throw ERRORS.validation('body/prefixes must be array');
  if (prefixes.length < 1) throw ERRORS.validation('body/prefixes must NOT have fewer than 1 items');
  prefixes.forEach((p, i) => {
    if (typeof p !== 'string') throw ERRORS.validation(`body/prefixes/${i} must be string`);
  });
  if (prefixes.length > 1000) {
    throw ERRORS.invalidRequest('Bulk object requests are limited to 1000 objects per request.');
  }
  const bucket = r.params.bucket!;
  mustBeValidBucketName(bucket);
  const deleted: ObjectRow[] = [];
  for (let i = 0; i < prefixes.length; i += DELETE_BATCH) {
    const batch = (prefixes as string[]).slice(i, i + DELETE_BATCH);
    await ctx.db.transaction(scopeOf(caller, r, 'storage.object.delete_many'), async (tx) => {
      deleted.push(...(await deleteObjectRows(ctx, tx, bucket, batch)));
    });
  }
  sendJson(r.res, 200, deleted.map(renderObjectRow));
};

export const deleteObject: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const bucket = r.params.bucket!;
  mustBeValidBucketName(bucket);
  await ctx.db.transaction(scopeOf(caller, r, 'storage.object.delete'), async (tx) => {
    if (!(await findObject(tx, bucket, r.params.key!, true))) throw ERRORS.noSuchKey();
    await deleteObjectRows(ctx, tx, bucket, [r.params.key!]);
  });
  sendJson(r.res, 200, { message: 'Successfully deleted' });
};
