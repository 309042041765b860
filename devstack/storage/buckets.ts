/**
 * /bucket routes as hosted Storage answers them (supabase/storage `src/http/routes/bucket/*`,
 * `src/storage/storage.ts`). Emptying a bucket is queued, as hosted: the call returns at once and
 * the objects are deleted in the background.
 */
import { ERRORS, sendJson } from './errors.js';
import { authenticate, check, readJson } from './http.js';
import { mustBeValidBucketName, parseFileSize, validateAllowedMimeTypes } from './limits.js';
import { iso, scopeOf, type Handler, type StorageContext } from './context.js';
import type { BucketRow, Tx } from './db.js';
import { deleteObjectRows } from './objects-delete.js';

/** Hosted Storage's STORAGE_EMPTY_BUCKET_MAX. */
const EMPTY_BUCKET_MAX = 200_000;

/** A bucket as the response schema serializes it (a null owner becomes "", as fast-json-stringify writes it). */
function renderBucket(row: BucketRow, withType: boolean) {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner ?? '',
    public: row.public,
    ...(withType ? { type: row.type } : {}),
    file_size_limit: row.file_size_limit === null ? null : Number(row.file_size_limit),
    allowed_mime_types: row.allowed_mime_types,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

function fileSizeLimit(ctx: StorageContext, body: Record<string, unknown>): number | null | undefined {
  const value = body.file_size_limit;
  if (value === undefined || value === null) return value;
  let bytes: number;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) bytes = value;
  else if (
    typeof value === 'string' &&
    /^[0-9]+(?:\.[0-9]+)?(?:[gG][bB]|[mM][bB]|[kK][bB]|[bB])$/.test(value)
  ) {
    bytes = parseFileSize(value);
  } else throw ERRORS.validation('body/file_size_limit must match a schema in anyOf');
  if (bytes > ctx.fileSizeLimit) throw ERRORS.entityTooLarge();
  return bytes;
}

function mimeTypes(body: Record<string, unknown>): string[] | null | undefined {
  const types = check.stringArray(body, 'allowed_mime_types');
  if (!types) return types;
  const kept = types.filter((t) => t);
  validateAllowedMimeTypes(kept);
  return kept;
}

export const listBuckets: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const q = Object.fromEntries(r.query);
  const limit = check.integer(q, 'limit', 1, 'querystring');
  const offset = check.integer(q, 'offset', 0, 'querystring');
  const sortColumn = q.sortColumn;
  if (sortColumn !== undefined && !['id', 'name', 'created_at', 'updated_at'].includes(sortColumn)) {
    throw ERRORS.validation('querystring/sortColumn must be equal to one of the allowed values');
  }
  const sortOrder = q.sortOrder;
  if (sortOrder !== undefined && !['asc', 'desc'].includes(sortOrder)) {
    throw ERRORS.validation('querystring/sortOrder must be equal to one of the allowed values');
  }
  const values: unknown[] = [];
  let sql = 'SELECT * FROM storage.buckets';
  if (q.search) {
    values.push(`%${q.search.replace(/[\\%_]/g, '\\$&')}%`);
    sql += ` WHERE name ILIKE $${values.length}`;
  }
  if (sortColumn) sql += ` ORDER BY ${sortColumn} ${sortOrder === 'desc' ? 'DESC' : 'ASC'}`;
  if (limit !== undefined) sql += ` LIMIT ${limit}`;
  if (offset !== undefined) sql += ` OFFSET ${offset}`;
  const rows = await ctx.db.transaction(scopeOf(caller, r, 'storage.bucket.list'), async (tx) => {
    return (await tx.query<BucketRow>(sql, values)).rows;
  });
  sendJson(
    r.res,
    200,
    rows.map((row) => renderBucket(row, true)),
  );
};

async function mustFindBucket(tx: Tx, id: string, forUpdate = false): Promise<BucketRow> {
  const result = await tx.query<BucketRow>(
    `SELECT * FROM storage.buckets WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  if (!result.rows[0]) throw ERRORS.noSuchBucket();
  return result.rows[0];
}

export const getBucket: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const row = await ctx.db.transaction(scopeOf(caller, r, 'storage.bucket.get'), (tx) =>
    mustFindBucket(tx, r.params.bucket!),
  );
  sendJson(r.res, 200, renderBucket(row, false));
};

export const createBucket: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const body = await readJson(r.req);
  check.required(body, 'name');
  const name = check.string(body, 'name')!;
  const id = check.string(body, 'id') || name;
  const isPublic = check.boolean(body, 'public') ?? false;
  const type = check.string(body, 'type');
  if (type !== undefined && type !== 'STANDARD' && type !== 'ANALYTICS') {
    throw ERRORS.validation('body/type must be equal to one of the allowed values');
  }
  if (name.trim() !== name) throw ERRORS.invalidBucketName();
  mustBeValidBucketName(name);
  if (type === 'ANALYTICS') {
    throw ERRORS.featureNotEnabled('iceberg_catalog');
  }
  const limit = fileSizeLimit(ctx, body);
  const mimes = mimeTypes(body);
  const owner = typeof caller.claims.sub === 'string' ? caller.claims.sub : null;
  await ctx.db.transaction(scopeOf(caller, r, 'storage.bucket.create'), async (tx) => {
    try {
      await tx.query(
        `INSERT INTO storage.buckets (id, name, owner, owner_id, public, allowed_mime_types, file_size_limit, type)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'STANDARD')`,
        [id, name, owner, owner, isPublic, mimes ?? null, limit ?? null],
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw ERRORS.bucketAlreadyExists();
      throw error;
    }
  });
  sendJson(r.res, 200, { name });
};

export const updateBucket: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const body = await readJson(r.req);
  if (Object.keys(body).length === 0) throw ERRORS.validation('body must NOT have fewer than 1 properties');
  if (!['public', 'file_size_limit', 'allowed_mime_types'].some((k) => k in body)) {
    throw ERRORS.validation("body must have required property 'public'");
  }
  const id = r.params.bucket!;
  mustBeValidBucketName(id);
  const fields: Record<string, unknown> = {
    public: check.boolean(body, 'public'),
    file_size_limit: fileSizeLimit(ctx, body),
    allowed_mime_types: mimeTypes(body),
  };
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (entries.length === 0) throw ERRORS.noContentProvided();
  await ctx.db.transaction(scopeOf(caller, r, 'storage.bucket.update'), async (tx) => {
    const set = entries.map(([column], i) => `${column} = $${i + 1}`).join(', ');
    const result = await tx.query(`UPDATE storage.buckets SET ${set} WHERE id = $${entries.length + 1}`, [
      ...entries.map(([, v]) => v),
      id,
    ]);
    if (result.rowCount === 0) throw ERRORS.noSuchBucket();
  });
  sendJson(r.res, 200, { message: 'Successfully updated' });
};

export const deleteBucket: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const id = r.params.bucket!;
  await ctx.db.transaction(scopeOf(caller, r, 'storage.bucket.delete'), async (tx) => {
    await mustFindBucket(tx, id, true);
    const objects = await tx.query('SELECT 1 FROM storage.objects WHERE bucket_id = $1 LIMIT 1', [id]);
    if (objects.rowCount) throw ERRORS.bucketNotEmpty();
    await tx.query('DELETE FROM storage.buckets WHERE id = $1', [id]);
  });
  sendJson(r.res, 200, { message: 'Successfully deleted' });
};

export const emptyBucket: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const id = r.params.bucket!;
  const before = new Date();
  const scope = scopeOf(caller, r, 'storage.bucket.empty');
  const count = await ctx.db.transaction(scope, async (tx) => {
    await mustFindBucket(tx, id);
    const rows = await tx.query('SELECT 1 FROM storage.objects WHERE bucket_id = $1 LIMIT $2', [
      id,
      EMPTY_BUCKET_MAX + 1,
    ]);
    return rows.rowCount ?? 0;
  });
  if (count > EMPTY_BUCKET_MAX) throw ERRORS.unableToEmptyBucket();
  if (count > 0) {
    const job = emptyInBackground(ctx, scope, id, before).catch(ctx.onError);
    ctx.background.add(job);
    void job.finally(() => ctx.background.delete(job));
  }
  sendJson(r.res, 200, { message: 'Empty bucket has been queued. Completion may take up to an hour.' });
};

/** Hosted's ObjectAdminDeleteAllBefore job: deletes, in batches, the objects created before the request. */
async function emptyInBackground(
  ctx: StorageContext,
  scope: ReturnType<typeof scopeOf>,
  bucket: string,
  before: Date,
) {
  for (;;) {
    const deleted = await ctx.db.transaction(scope, async (tx) => {
      const names = await tx.query<{ name: string }>(
        'SELECT name FROM storage.objects WHERE bucket_id = $1 AND created_at < $2 ORDER BY name LIMIT 500',
        [bucket, before],
      );
      return deleteObjectRows(
        ctx,
        tx,
        bucket,
        names.rows.map((n) => n.name),
      );
    });
    if (deleted.length === 0) return;
  }
}
