/**
 * SQL text for one request: reads and rpc calls here, writes in sql-mutations.ts; each ONE statement
 * whose single result row is (total, page_total, inserted, body). Every identifier comes from the schema
 * cache and is quoted; every value from the request is a bind parameter of unknown type, so PostgreSQL
 * coerces it to the column type (a bad literal is 22P02 → 400, as with PostgREST).
 */
import { columnNotFound } from './errors.js';
import { qualified, quoteIdent } from './ident.js';
import type { CompareOp, Condition, FtsOp, Operation } from './filters.js';
import type { OrderTerm, QueryParams, SelectItem } from './query-params.js';
import type { Routine, Table } from './schema-cache.js';

export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Maps a column name from the URL to a SQL reference; throws for unknown columns. */
export type ColumnRef = (name: string) => string;

/** What the single result row's `body` should hold. */
export type BodyShape = 'array' | 'single' | 'none';

const COMPARE_SQL: Record<CompareOp, string> = {
  eq: '=',
  neq: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  like: 'LIKE',
  ilike: 'ILIKE',
  match: '~',
  imatch: '~*',
  isdistinct: 'IS DISTINCT FROM',
  cs: '@>',
  cd: '<@',
  ov: '&&',
  sl: '<<',
  sr: '>>',
  nxl: '&<',
  nxr: '&>',
  adj: '-|-',
};

const FTS_SQL: Record<FtsOp, string> = {
  fts: 'to_tsquery',
  plfts: 'plainto_tsquery',
  phfts: 'phraseto_tsquery',
  wfts: 'websearch_to_tsquery',
};

const IS_SQL = {
  null: 'NULL',
  not_null: 'NOT NULL',
  true: 'TRUE',
  false: 'FALSE',
  unknown: 'UNKNOWN',
} as const;

/** A PostgreSQL array literal whose elements are all quoted, e.g. `{"1","a,b"}`. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (m) => `\\${m}`)}"`).join(',')}}`;
}

function operationSql(column: string, operation: Operation, params: Params): string {
  switch (operation.kind) {
    case 'in':
      return `${column} = ANY(${params.add(arrayLiteral(operation.values))})`;
    case 'is':
      return `${column} IS ${IS_SQL[operation.value]}`;
    case 'fts': {
      const config = operation.config === null ? '' : `${params.add(operation.config)}::regconfig, `;
      return `${column} @@ ${FTS_SQL[operation.op]}(${config}${params.add(operation.value)})`;
    }
    case 'compare': {
      const isLike = operation.op === 'like' || operation.op === 'ilike';
      const value = isLike ? operation.value.replace(/\*/g, '%') : operation.value;
      const op = COMPARE_SQL[operation.op];
      if (operation.quantifier)
        return `${column} ${op} ${operation.quantifier.toUpperCase()}(${params.add(value)})`;
      return `${column} ${op} ${params.add(value)}`;
    }
  }
}

export function conditionSql(condition: Condition, col: ColumnRef, params: Params): string {
  let sql: string;
  if (condition.type === 'filter') {
    sql = operationSql(col(condition.column), condition.operation, params);
  } else {
    const joiner = condition.op === 'and' ? ' AND ' : ' OR ';
    sql = `(${condition.children.map((c) => conditionSql(c, col, params)).join(joiner)})`;
  }
  return condition.negate ? `NOT (${sql})` : sql;
}

export function whereSql(conditions: readonly Condition[], col: ColumnRef, params: Params): string {
  if (conditions.length === 0) return '';
  return ` WHERE ${conditions.map((c) => conditionSql(c, col, params)).join(' AND ')}`;
}

export function orderSql(terms: readonly OrderTerm[], col: ColumnRef): string {
  if (terms.length === 0) return '';
  const parts = terms.map((t) => {
    let s = col(t.column);
    if (t.direction) s += t.direction === 'asc' ? ' ASC' : ' DESC';
    if (t.nulls) s += t.nulls === 'first' ? ' NULLS FIRST' : ' NULLS LAST';
    return s;
  });
  return ` ORDER BY ${parts.join(', ')}`;
}

export function limitSql(limit: number | null, offset: number): string {
  return (limit === null ? '' : ` LIMIT ${limit}`) + (offset > 0 ? ` OFFSET ${offset}` : '');
}

/** A select list; `star` is what `*` expands to (e.g. `pgrst_target.*`). */
export function selectListSql(items: readonly SelectItem[], col: ColumnRef, star: string): string {
  return items
    .map((item) => {
      if (item.kind === 'star') return star;
      const ref = col(item.name);
      return `${ref} AS ${quoteIdent(item.alias ?? item.name)}`;
    })
    .join(', ');
}

/** Column references `<alias>."col"` checked against a table's cached columns. */
export function tableColumns(table: Table, alias: string): ColumnRef {
  return (name) => {
    if (!table.columns.has(name)) throw columnNotFound(table.name, name);
    return `${alias}.${quoteIdent(name)}`;
  };
}

/** The `body` column: the rows as a JSON array, one object, or nothing. */
export function bodySql(shape: BodyShape, rowAlias: string, stripNulls: boolean): string {
  if (shape === 'none') return 'NULL::text';
  const agg = stripNulls ? `json_strip_nulls(json_agg(${rowAlias}))` : `json_agg(${rowAlias})`;
  return shape === 'single' ? `coalesce(${agg}->0, 'null')::text` : `coalesce(${agg}, '[]')::text`;
}

export interface ReadOptions {
  count: boolean;
  body: BodyShape;
  stripNulls: boolean;
}

/** GET/HEAD on a relation. */
export function readSql(table: Table, q: QueryParams, options: ReadOptions, params: Params): string {
  const col = tableColumns(table, 'pgrst_target');
  const from = `${qualified(table.schema, table.name)} AS pgrst_target`;
  const select = selectListSql(q.select, col, 'pgrst_target.*');
  const where = whereSql(q.conditions, col, params);
  const page = `SELECT ${select} FROM ${from}${where}${orderSql(q.order, col)}${limitSql(q.limit, q.offset)}`;
  const total = options.count ? `(SELECT pg_catalog.count(*) FROM ${from}${where})` : 'NULL::int8';
  return (
    `SELECT ${total} AS total, pg_catalog.count(_pgrst_t) AS page_total, NULL::int8 AS inserted, ` +
    `${bodySql(options.body, '_pgrst_t', options.stripNulls)} AS body FROM (${page}) _pgrst_t`
  );
}

export interface RpcOptions {
  /** Arguments given (names of `routine.args`), bound from the JSON object in `argsJson`. */
  argNames: readonly string[];
  argsJson: string;
  count: boolean;
  body: BodyShape;
  stripNulls: boolean;
}

/** POST/GET/HEAD /rpc/fn: call with named arguments; filters, order and limit apply to set results. */
export function rpcSql(routine: Routine, q: QueryParams, options: RpcOptions, params: Params): string {
  const given = routine.args.filter((a) => options.argNames.includes(a.name));
  let argsFrom = '';
  if (given.length > 0) {
    const defs = given.map((a) => `${quoteIdent(a.name)} ${a.type}`).join(', ');
    argsFrom = `json_to_record(${params.add(options.argsJson)}::json) AS pgrst_args(${defs})`;
  }
  const call = `${qualified(routine.schema, routine.name)}(${given
    .map((a) => `${quoteIdent(a.name)} := pgrst_args.${quoteIdent(a.name)}`)
    .join(', ')})`;
  const known = routine.returnColumns ? new Set(routine.returnColumns) : null;
  const col: ColumnRef = (name) => {
    if (routine.returnShape !== 'composite' || (known && !known.has(name)))
      throw columnNotFound(routine.name, name);
    return `pgrst_target.${quoteIdent(name)}`;
  };
  const total = (from: string) =>
    options.count ? `(SELECT pg_catalog.count(*) FROM ${from})` : 'NULL::int8';

  if (routine.returnShape === 'composite') {
    const from = argsFrom
      ? `${argsFrom} CROSS JOIN LATERAL ${call} AS pgrst_target`
      : `${call} AS pgrst_target`;
    const source = `SELECT pgrst_target.* FROM ${from}${whereSql(q.conditions, col, params)}`;
    const page =
      `SELECT ${selectListSql(q.select, col, 'pgrst_target.*')} FROM pgrst_source AS pgrst_target` +
      `${orderSql(q.order, col)}${limitSql(q.limit, q.offset)}`;
    const shape = routine.returnsSet || options.body === 'none' ? options.body : 'single';
    return (
      `WITH pgrst_source AS (${source}) SELECT ${total('pgrst_source')} AS total, ` +
      `pg_catalog.count(_pgrst_t) AS page_total, NULL::int8 AS inserted, ` +
      `${bodySql(shape, '_pgrst_t', options.stripNulls)} AS body FROM (${page}) _pgrst_t`
    );
  }

  // Scalar, setof scalar, or void: filters cannot name a column (the column check above throws).
  whereSql(q.conditions, col, params);
  orderSql(q.order, col);
  let page: string;
  if (routine.returnsSet) {
    const from = argsFrom
      ? `${argsFrom} CROSS JOIN LATERAL ${call} AS pgrst_target(pgrst_scalar)`
      : `${call} AS pgrst_target(pgrst_scalar)`;
    page = `SELECT pgrst_target.pgrst_scalar FROM ${from}${limitSql(q.limit, q.offset)}`;
  } else {
    page = `SELECT ${call} AS pgrst_scalar${argsFrom ? ` FROM ${argsFrom}` : ''}`;
  }
  let body = 'NULL::text';
  if (options.body !== 'none' && routine.returnShape !== 'void') {
    const agg = `json_agg(_pgrst_t.pgrst_scalar)`;
    body =
      routine.returnsSet && options.body === 'array'
        ? `coalesce(${agg}, '[]')::text`
        : `coalesce(${agg}->0, 'null')::text`;
  }
  return (
    `SELECT ${options.count ? 'pg_catalog.count(_pgrst_t)' : 'NULL::int8'} AS total, ` +
    `pg_catalog.count(_pgrst_t) AS page_total, NULL::int8 AS inserted, ${body} AS body FROM (${page}) _pgrst_t`
  );
}
