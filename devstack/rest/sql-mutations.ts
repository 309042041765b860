/**
 * The SQL of PostgREST's writes on a relation (POST insert/upsert, PATCH, DELETE): one statement
 * whose single result row has the shape of a read's (total, page_total, inserted, body), built
 * from the parsed URL (sql.ts for filters, order and the select list).
 */
import { columnNotFound } from './errors.js';
import { qualified, quoteIdent, quoteLiteral } from './ident.js';
import type { QueryParams, SelectItem } from './query-params.js';
import type { Table } from './schema-cache.js';
import {
  bodySql,
  limitSql,
  orderSql,
  selectListSql,
  tableColumns,
  whereSql,
  type BodyShape,
  type ColumnRef,
  type Params,
} from './sql.js';

export interface MutationOutput {
  /** Project the returned rows through this select list (null: return no rows). */
  select: readonly SelectItem[] | null;
  body: BodyShape;
  stripNulls: boolean;
}

function returningSql(output: MutationOutput, trackInserted: boolean): string {
  const parts: string[] = [];
  if (output.select) parts.push('pgrst_target AS pgrst_rec');
  if (trackInserted) parts.push('(pgrst_target.xmax = 0) AS pgrst_inserted');
  if (parts.length === 0) parts.push('1 AS pgrst_one');
  return ` RETURNING ${parts.join(', ')}`;
}

function mutationResultSql(
  table: Table,
  mutation: string,
  output: MutationOutput,
  trackInserted: boolean,
): string {
  let body = 'NULL::text';
  if (output.select && output.body !== 'none') {
    const col: ColumnRef = (name) => {
      if (!table.columns.has(name)) throw columnNotFound(table.name, name);
      return `(pgrst_source.pgrst_rec).${quoteIdent(name)}`;
    };
    const list = selectListSql(output.select, col, '(pgrst_source.pgrst_rec).*');
    body = `(SELECT ${bodySql(output.body, '_pgrst_t', output.stripNulls)} FROM (SELECT ${list} FROM pgrst_source) _pgrst_t)`;
  }
  const inserted = trackInserted
    ? '(SELECT pg_catalog.count(*) FROM pgrst_source WHERE pgrst_inserted)'
    : 'NULL::int8';
  return (
    `WITH pgrst_source AS (${mutation}) SELECT NULL::int8 AS total, ` +
    `(SELECT pg_catalog.count(*) FROM pgrst_source) AS page_total, ${inserted} AS inserted, ${body} AS body`
  );
}

export interface InsertOptions {
  /** Inserted columns (already checked against the table). */
  columns: readonly string[];
  conflict: { columns: readonly string[]; action: 'merge' | 'ignore' } | null;
  missingDefault: boolean;
  output: MutationOutput;
}

/** POST: INSERT … SELECT … FROM json_populate_recordset($1) [ON CONFLICT …]; `$1` must be a JSON array. */
export function insertSql(table: Table, options: InsertOptions, params: Params, body: string): string {
  const target = qualified(table.schema, table.name);
  const cols = options.columns;
  let source: string;
  if (options.missingDefault) {
    const exprs = cols.map((name) => {
      const column = table.columns.get(name);
      const ref = `pgrst_body.${quoteIdent(name)}`;
      if (!column?.default) return ref;
      return `CASE WHEN pgrst_elem.v ? ${quoteLiteral(name)} THEN ${ref} ELSE (${column.default})::${column.type} END`;
    });
    source =
      `SELECT ${exprs.join(', ')} FROM jsonb_array_elements(${params.add(body)}::jsonb) AS pgrst_elem(v) ` +
      `CROSS JOIN LATERAL jsonb_populate_record(NULL::${target}, pgrst_elem.v) AS pgrst_body`;
  } else {
    const exprs = cols.map((name) => `pgrst_body.${quoteIdent(name)}`);
    source = `SELECT ${exprs.join(', ')} FROM json_populate_recordset(NULL::${target}, ${params.add(body)}::json) AS pgrst_body`;
  }
  const columnList = cols.length ? ` (${cols.map(quoteIdent).join(', ')})` : '';
  let conflict = '';
  // xmax tells an inserted row (0) from an updated one; views and partitioned tables cannot return it, so they always report 201.
  const trackInserted = options.conflict?.action === 'merge' && table.kind === 'r';
  if (options.conflict) {
    const on = `(${options.conflict.columns.map(quoteIdent).join(', ')})`;
    if (options.conflict.action === 'ignore' || cols.length === 0) conflict = ` ON CONFLICT ${on} DO NOTHING`;
    else
      conflict = ` ON CONFLICT ${on} DO UPDATE SET ${cols.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`;
  }
  const mutation = `INSERT INTO ${target} AS pgrst_target${columnList} ${source}${conflict}${returningSql(options.output, trackInserted)}`;
  return mutationResultSql(table, mutation, options.output, trackInserted);
}

/** Extra WHERE for PATCH/DELETE with order/limit: PostgREST restricts through ctid. */
function limitedRowsSql(table: Table, q: QueryParams, params: Params): string {
  const col = tableColumns(table, 'pgrst_target');
  const inner =
    `SELECT pgrst_target.ctid FROM ${qualified(table.schema, table.name)} AS pgrst_target` +
    `${whereSql(q.conditions, col, params)}${orderSql(q.order, col)}${limitSql(q.limit, q.offset)}`;
  return ` WHERE pgrst_target.ctid = ANY(ARRAY(${inner}))`;
}

function mutationWhere(table: Table, q: QueryParams, params: Params): string {
  if (q.limit !== null || q.offset > 0) return limitedRowsSql(table, q, params);
  return whereSql(q.conditions, tableColumns(table, 'pgrst_target'), params);
}

/** PATCH: UPDATE … SET c = body.c … FROM json_populate_record($1). */
export function updateSql(
  table: Table,
  columns: readonly string[],
  q: QueryParams,
  output: MutationOutput,
  params: Params,
  body: string,
): string {
  const target = qualified(table.schema, table.name);
  const where = mutationWhere(table, q, params);
  if (columns.length === 0) {
    const mutation = `SELECT pgrst_target AS pgrst_rec FROM ${target} AS pgrst_target WHERE false`;
    return mutationResultSql(table, mutation, output, false);
  }
  const set = columns.map((c) => `${quoteIdent(c)} = pgrst_body.${quoteIdent(c)}`).join(', ');
  const mutation =
    `UPDATE ${target} AS pgrst_target SET ${set} FROM json_populate_record(NULL::${target}, ${params.add(body)}::json) AS pgrst_body` +
    `${where}${returningSql(output, false)}`;
  return mutationResultSql(table, mutation, output, false);
}

export function deleteSql(table: Table, q: QueryParams, output: MutationOutput, params: Params): string {
  const target = qualified(table.schema, table.name);
  const mutation = `DELETE FROM ${target} AS pgrst_target${mutationWhere(table, q, params)}${returningSql(output, false)}`;
  return mutationResultSql(table, mutation, output, false);
}
