/**
 * Writes on a relation: POST (insert, upsert with Prefer resolution), PATCH and DELETE; their
 * status, Content-Range and Preference-Applied as PostgREST answers them. SQL from sql-mutations.ts.
 */
import { RestError, columnNotFound, invalidBody, payloadColumnNotFound } from './errors.js';
import type { ResultRow } from './db.js';
import { insertPayload, isObject, parseJsonBody } from './payload.js';
import { appliedHeader } from './preferences.js';
import { parseQuery, type QueryParams } from './query-params.js';
import type { Request, RequestTools } from './request.js';
import { contentRange, send, singleError } from './responses.js';
import { Params } from './sql.js';
import { deleteSql, insertSql, updateSql, type MutationOutput } from './sql-mutations.js';

function mutationOutput(r: Request, q: QueryParams): MutationOutput {
  if (r.prefs.return !== 'representation') return { select: null, body: 'none', stripNulls: false };
  return { select: q.select, body: r.single ? 'single' : 'array', stripNulls: r.stripNulls };
}

function singleCheck(r: Request): (row: ResultRow) => RestError | null {
  return (row) =>
    r.single && r.prefs.return === 'representation' && Number(row.page_total) !== 1
      ? singleError(Number(row.page_total))
      : null;
}

export async function insertRows(s: RequestTools, r: Request, name: string, text: string): Promise<void> {
  const q = parseQuery(r.url.searchParams, { ignore: r.ignore });
  const { prefs } = r;
  const { columns, payload } = insertPayload(text, q);
  const output = mutationOutput(r, q);
  let conflictApplied = false;
  let merge = false;
  const plan = await s.plan(r.started, () => {
    const table = s.requireTable(r, name);
    for (const c of columns) if (!table.columns.has(c)) throw payloadColumnNotFound(table.name, c);
    let conflict: { columns: string[]; action: 'merge' | 'ignore' } | null = null;
    if (prefs.resolution) {
      const on = q.onConflict ?? table.primaryKey;
      for (const c of on) if (!table.columns.has(c)) throw columnNotFound(table.name, c);
      if (on.length > 0)
        conflict = { columns: on, action: prefs.resolution === 'merge-duplicates' ? 'merge' : 'ignore' };
    }
    conflictApplied = conflict !== null;
    merge = conflict?.action === 'merge';
    const params = new Params();
    const sql = insertSql(
      table,
      { columns, conflict, missingDefault: prefs.missingDefault, output },
      params,
      payload,
    );
    return { sql, params };
  });
  const row = await s.run(r, plan, false, singleCheck(r));
  const n = Number(row.page_total);
  const status = merge && row.inserted !== null && Number(row.inserted) === 0 ? 200 : 201;
  sendMutation(s, r, status, contentRange(1, 0, prefs.count ? n : null), row, output, [
    conflictApplied && `resolution=${prefs.resolution}`,
    prefs.missingDefault && 'missing=default',
  ]);
}

function sendMutation(
  s: RequestTools,
  r: Request,
  status: number,
  range: string,
  row: ResultRow,
  output: MutationOutput,
  extraPrefs: Array<string | false>,
): void {
  const { prefs } = r;
  const applied = appliedHeader([
    ...extraPrefs,
    prefs.return !== null && `return=${prefs.return}`,
    prefs.count !== null && `count=${prefs.count}`,
  ]);
  const headers = { ...s.commonHeaders(r, range), 'Preference-Applied': applied };
  if (output.select === null) {
    send(r.res, status, headers);
    return;
  }
  send(r.res, status, { ...headers, 'Content-Type': s.contentType(r) }, row.body ?? '[]');
}

export async function updateRows(s: RequestTools, r: Request, name: string, text: string): Promise<void> {
  const q = parseQuery(r.url.searchParams, { ignore: r.ignore });
  let columns = q.columns;
  if (!columns) {
    const body = parseJsonBody(text);
    if (!isObject(body)) throw invalidBody('Empty or invalid json');
    columns = Object.keys(body);
  }
  const cols = columns;
  const output = mutationOutput(r, q);
  const plan = await s.plan(r.started, () => {
    const table = s.requireTable(r, name);
    for (const c of cols) if (!table.columns.has(c)) throw payloadColumnNotFound(table.name, c);
    const params = new Params();
    return { sql: updateSql(table, cols, q, output, params, text), params };
  });
  const row = await s.run(r, plan, false, singleCheck(r));
  const n = Number(row.page_total);
  const range = contentRange(0, n - 1, r.prefs.count ? n : null);
  sendMutation(s, r, output.select ? 200 : 204, range, row, output, []);
}

export async function deleteRows(s: RequestTools, r: Request, name: string): Promise<void> {
  const q = parseQuery(r.url.searchParams, { ignore: r.ignore });
  const output = mutationOutput(r, q);
  const plan = await s.plan(r.started, () => {
    const params = new Params();
    return { sql: deleteSql(s.requireTable(r, name), q, output, params), params };
  });
  const row = await s.run(r, plan, false, singleCheck(r));
  const n = Number(row.page_total);
  sendMutation(
    s,
    r,
    output.select ? 200 : 204,
    contentRange(1, 0, r.prefs.count ? n : null),
    row,
    output,
    [],
  );
}
