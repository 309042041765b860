/**
 * Listing (POST /object/list/:bucket and /object/list-v2/:bucket), answering what hosted Storage's
 * `storage.search` and `storage.list_objects_with_delimiter` functions answer, with this stand-in's
 * own queries. v1: one level below `prefix` (made to end in '/'), folders (id null) and files,
 * names relative to the prefix, prefix+search matched case-insensitively, sorted by lower(name)
 * bytewise, or folders first then files by a timestamp column; limit (≤ 1500) and offset.
 * v2: full keys, a base64 cursor, `with_delimiter` folding folders; name order is bytewise.
 */
import { ERRORS, sendJson } from './errors.js';
import { authenticate, check, readJson } from './http.js';
import { mustBeValidBucketName } from './limits.js';
import { iso, scopeOf, type Handler } from './context.js';
import type { Tx } from './db.js';

interface Listed {
  name: string;
  id: string | null;
  updated_at: Date | null;
  created_at: Date | null;
  last_accessed_at: Date | null;
  metadata: unknown;
}

const render = (row: Listed) => ({
  name: row.name,
  id: row.id,
  updated_at: iso(row.updated_at),
  created_at: iso(row.created_at),
  last_accessed_at: iso(row.last_accessed_at),
  metadata: row.metadata,
});

const escapeLike = (value: string) => value.replace(/[\\%_]/g, '\\$&');

function sortOf(body: Record<string, unknown>, columns: string[]): { column: string; order: 'asc' | 'desc' } {
  const sortBy = body.sortBy as Record<string, unknown> | undefined;
  if (sortBy === undefined) return { column: 'name', order: 'asc' };
  if (typeof sortBy !== 'object' || sortBy === null) throw ERRORS.validation('body/sortBy must be object');
  check.required(sortBy, 'column', 'body/sortBy');
  if (!columns.includes(sortBy.column as string)) {
    throw ERRORS.validation('body/sortBy/column must be equal to one of the allowed values');
  }
  if (sortBy.order !== undefined && sortBy.order !== 'asc' && sortBy.order !== 'desc') {
    throw ERRORS.validation('body/sortBy/order must be equal to one of the allowed values');
  }
  return { column: sortBy.column as string, order: sortBy.order === 'desc' ? 'desc' : 'asc' };
}

async function searchByName(
  tx: Tx,
  bucket: string,
  prefix: string,
  search: string,
  limit: number,
  offset: number,
  desc: boolean,
) {
  const dir = desc ? 'DESC' : 'ASC';
  const sql = `
    WITH matched AS (
      SELECT o.*, strpos(substr(o.name, length($3) + 1), '/') AS slash
      FROM storage.objects o
      WHERE o.bucket_id = $1 AND left(lower(o.name), length($3)) = lower($3)
    ), folders AS (
      SELECT DISTINCT ON (lower(left(name, length($3) + slash)))
        lower(left(name, length($3) + slash)) AS sort_key,
        substr(rtrim(left(name, length($3) + slash), '/'), length($2) + 1) AS name
      FROM matched WHERE slash > 0
      ORDER BY lower(left(name, length($3) + slash)), lower(name) COLLATE "C" ${dir}
    ), entries AS (
      SELECT sort_key, name, NULL::uuid AS id, NULL::timestamptz AS updated_at, NULL::timestamptz AS created_at,
             NULL::timestamptz AS last_accessed_at, NULL::jsonb AS metadata FROM folders
      UNION ALL
      SELECT lower(name), substr(name, length($2) + 1), id, updated_at, created_at, last_accessed_at, metadata
      FROM matched WHERE slash = 0
    )
    SELECT name, id, updated_at, created_at, last_accessed_at, metadata FROM entries
    ORDER BY sort_key COLLATE "C" ${dir} LIMIT $4 OFFSET $5`;
  return (await tx.query<Listed>(sql, [bucket, prefix, prefix + search, limit, offset])).rows;
}

async function searchByColumn(
  tx: Tx,
  bucket: string,
  prefix: string,
  search: string,
  column: string,
  limit: number,
  offset: number,
  desc: boolean,
) {
  const dir = desc ? 'DESC' : 'ASC';
  const sql = `
    WITH params AS (
      SELECT coalesce(array_length(string_to_array($2, '/'), 1), 1) AS start,
             coalesce(array_length(string_to_array($3, '/'), 1), 1) AS levels
    ), matched AS (
      SELECT o.*, p.start, p.levels FROM storage.objects o, params p
      WHERE o.name ILIKE $6 || '%' AND o.bucket_id = $1
    ), entries AS (
      SELECT 0 AS part, row_number() OVER (ORDER BY folder ${dir}) AS rank, folder AS name, NULL::uuid AS id,
             NULL::timestamptz AS updated_at, NULL::timestamptz AS created_at, NULL::timestamptz AS last_accessed_at,
             NULL::jsonb AS metadata
      FROM (SELECT DISTINCT array_to_string(path_tokens[start:levels], '/') AS folder
            FROM matched WHERE array_length(path_tokens, 1) <> levels) f
      UNION ALL
      SELECT 1, row_number() OVER (ORDER BY ${column} ${dir}), array_to_string(path_tokens[start:levels], '/'), id,
             updated_at, created_at, last_accessed_at, metadata
      FROM matched WHERE array_length(path_tokens, 1) = levels
    )
    SELECT name, id, updated_at, created_at, last_accessed_at, metadata FROM entries
    ORDER BY part, rank LIMIT $4 OFFSET $5`;
  const like = escapeLike(prefix) + escapeLike(search);
  return (await tx.query<Listed>(sql, [bucket, prefix, prefix + search, limit, offset, like])).rows;
}

export const listObjects: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const body = await readJson(r.req);
  check.required(body, 'prefix');
  let prefix = check.string(body, 'prefix')!;
  const limit = Math.min(check.integer(body, 'limit', 1) ?? 100, 1500);
  const offset = check.integer(body, 'offset', 0) ?? 0;
  const search = check.string(body, 'search') ?? '';
  const sort = sortOf(body, ['name', 'updated_at', 'created_at', 'last_accessed_at']);
  const bucket = r.params.bucket!;
  mustBeValidBucketName(bucket);
  if (prefix.length > 0 && !prefix.endsWith('/')) prefix = `${prefix}/`;
  const rows = await ctx.db.transaction(scopeOf(caller, r, 'storage.object.list'), (tx) =>
    sort.column === 'name'
      ? searchByName(tx, bucket, prefix, search, limit, offset, sort.order === 'desc')
      : searchByColumn(tx, bucket, prefix, search, sort.column, limit, offset, sort.order === 'desc'),
  );
  sendJson(r.res, 200, rows.map(render));
};

interface Cursor {
  startAfter: string;
  sortOrder?: string;
  sortColumn?: string;
  sortColumnAfter?: string;
}
const CURSOR_PARTS: Record<string, keyof Cursor> = {
  l: 'startAfter',
  o: 'sortOrder',
  c: 'sortColumn',
  a: 'sortColumnAfter',
};

function encodeCursor(cursor: Cursor): string {
  const lines = Object.entries(CURSOR_PARTS)
    .filter(([, field]) => cursor[field])
    .map(([key, field]) => `${key}:${cursor[field]}`);
  return Buffer.from(lines.join('\n')).toString('base64');
}

function decodeCursor(token: string): Cursor {
  const cursor: Cursor = { startAfter: '', sortOrder: 'asc' };
  for (const part of Buffer.from(token, 'base64').toString().split('\n')) {
    const match = /^(\S):(.*)/.exec(part);
    if (!match || !(match[1]! in CURSOR_PARTS)) throw ERRORS.invalidParameter('continuation token');
    cursor[CURSOR_PARTS[match[1]!]!] = match[2]!;
  }
  return cursor;
}

type V2Row = Listed & { key?: string; bucket_id?: string };

/** One level below `prefix` in bytewise name order: folders as `prefix…/` with id null. */
async function listDelimited(
  tx: Tx,
  bucket: string,
  prefix: string,
  startAfter: string,
  max: number,
): Promise<V2Row[]> {
  const out: V2Row[] = [];
  let seek = startAfter;
  while (out.length < max) {
    const next = await tx.query<V2Row>(
      `SELECT name, id, updated_at, created_at, last_accessed_at, metadata FROM storage.objects
       WHERE bucket_id = $1 AND name COLLATE "C" > $2 AND starts_with(name, $3)
       ORDER BY name COLLATE "C" LIMIT 1`,
      [bucket, seek, prefix],
    );
    const row = next.rows[0];
    if (!row) break;
    const slash = row.name.indexOf('/', prefix.length);
    if (slash < 0) {
      out.push(row);
      seek = row.name;
    } else {
      const folder = row.name.slice(0, slash + 1);
      if (folder !== startAfter)
        out.push({
          name: folder,
          id: null,
          updated_at: null,
          created_at: null,
          last_accessed_at: null,
          metadata: null,
        });
      seek = `${folder}\u{10FFFF}`;
    }
  }
  const levels = prefix ? prefix.split('/').length : 1;
  return out.map((row) => ({ key: row.name.split('/')[levels - 1] ?? '', ...row }));
}

export const listObjectsV2: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const body = await readJson(r.req);
  const prefix = check.string(body, 'prefix') ?? '';
  const limit = Math.min(check.integer(body, 'limit', 1) ?? 1000, 1000);
  const delimited = check.boolean(body, 'with_delimiter') ?? false;
  const token = check.string(body, 'cursor');
  const sort = sortOf(body, ['name', 'updated_at', 'created_at']);
  const bucket = r.params.bucket!;
  mustBeValidBucketName(bucket);
  const cursor = token ? decodeCursor(token) : undefined;
  const order = cursor?.sortOrder === 'desc' || (!cursor && sort.order === 'desc') ? 'desc' : 'asc';
  const column = cursor?.sortColumn ?? (sort.column === 'name' ? undefined : sort.column);
  const rows = await ctx.db.transaction(scopeOf(caller, r, 'storage.object.list_v2'), async (tx) => {
    if (delimited) return listDelimited(tx, bucket, prefix, cursor?.startAfter ?? '', limit + 1);
    const values: unknown[] = [bucket, limit + 1, `${escapeLike(prefix)}%`];
    let where = 'bucket_id = $1 AND name LIKE $3';
    if (cursor) {
      const op = order === 'asc' ? '>' : '<';
      if (column && cursor.sortColumnAfter) {
        values.push(cursor.sortColumnAfter, cursor.startAfter);
        where += ` AND ROW(date_trunc('milliseconds', ${column}), name COLLATE "C") ${op} ROW($4::timestamptz, $5)`;
      } else {
        values.push(cursor.startAfter);
        where += ` AND name COLLATE "C" ${op} $4`;
      }
    }
    const orderBy = `${column ? `${column} ${order}, ` : ''}name COLLATE "C" ${order}`;
    const sql = `SELECT id, name, metadata, updated_at, created_at, last_accessed_at FROM storage.objects WHERE ${where} ORDER BY ${orderBy} LIMIT $2`;
    return (await tx.query<V2Row>(sql, values)).rows;
  });
  const hasNext = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const entry = (row: V2Row) => ({ ...(row.key !== undefined ? { key: row.key } : {}), ...render(row) });
  sendJson(r.res, 200, {
    hasNext,
    ...(hasNext && last
      ? {
          nextCursor: encodeCursor({
            startAfter: last.name,
            sortOrder: order,
            sortColumn: column,
            sortColumnAfter: column ? iso(last[column as 'created_at'])! : undefined,
          }),
          nextCursorKey: last.name,
        }
      : {}),
    folders: page.filter((row) => row.id === null).map(entry),
    objects: page.filter((row) => row.id !== null).map(entry),
  });
};
