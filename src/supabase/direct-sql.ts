/**
 * The SQL text of the direct path (direct-source.ts, direct-target.ts), as pure functions: COPY
 * takes no bind parameters, so key bounds are written into the statement as literals cast to the
 * key columns' types (the sessions run with standard_conforming_strings on: a quote doubled is the
 * only escape a literal needs).
 */
import type { CopyPlan, KeyRange } from '../contracts/direct-ports.js';
import type { KeyTextValues, TableRef } from '../contracts/ports.js';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a key value holds a NUL character');
  return `'${value.replace(/'/g, "''")}'`;
}

export function qualified(ref: Pick<TableRef, 'schema' | 'table'>): string {
  return `${quoteIdent(ref.schema)}.${quoteIdent(ref.table)}`;
}

function keyColumns(ref: TableRef): string {
  return ref.primaryKeys.map(quoteIdent).join(', ');
}

/** `('1'::bigint, 'a'::text)`: a key's values as one row value of the key columns' types. */
export function keyTuple(values: KeyTextValues, types: string[]): string {
  if (values.length !== types.length) {
    throw new Error(`a key of ${types.length} column(s) was given ${values.length} value(s)`);
  }
  return `(${values.map((v, i) => `${quoteLiteral(String(v))}::${types[i]!}`).join(', ')})`;
}

/** The WHERE condition of a range (after, until] in key order. */
export function rangeCondition(ref: TableRef, keyTypes: string[], range: KeyRange): string {
  const cols = `(${keyColumns(ref)})`;
  const terms: string[] = [];
  if (range.after !== null) terms.push(`${cols} > ${keyTuple(range.after, keyTypes)}`);
  if (range.until !== null) terms.push(`${cols} <= ${keyTuple(range.until, keyTypes)}`);
  return terms.length > 0 ? terms.join(' AND ') : 'true';
}

/** The source side of a range's copy. Not ordered: the merge writes in key order. */
export function copyOutSql(ref: TableRef, plan: CopyPlan, range: KeyRange): string {
  const cols = plan.columns.map(quoteIdent).join(', ');
  return (
    `COPY (SELECT ${cols} FROM ${qualified(ref)} WHERE ${rangeCondition(ref, plan.keyTypes, range)}) ` +
    `TO STDOUT (FORMAT ${plan.format})`
  );
}

/** Every `rowsPerRange`-th key after `after`, at most `ranges` of them, as text. */
export function rangeBoundsSql(
  ref: TableRef,
  plan: CopyPlan,
  after: KeyTextValues | null,
  rowsPerRange: number,
  ranges: number,
): string {
  const keys = keyColumns(ref);
  const asText = ref.primaryKeys.map((k) => `${quoteIdent(k)}::text`).join(', ');
  const where = rangeCondition(ref, plan.keyTypes, { after, until: null });
  return (
    `SELECT ${asText} FROM (SELECT ${keys}, row_number() OVER (ORDER BY ${keys}) AS _sync_n ` +
    `FROM ${qualified(ref)} WHERE ${where} ORDER BY ${keys} LIMIT ${rowsPerRange * ranges}) AS s ` +
    `WHERE _sync_n % ${rowsPerRange} = 0 ORDER BY _sync_n`
  );
}

/** The keys of a range as text, in key order. */
export function rangeKeysSql(ref: TableRef, plan: CopyPlan, range: KeyRange, limit: number): string {
  const asText = ref.primaryKeys.map((k) => `${quoteIdent(k)}::text`).join(', ');
  return (
    `SELECT ${asText} FROM ${qualified(ref)} WHERE ${rangeCondition(ref, plan.keyTypes, range)} ` +
    `ORDER BY ${keyColumns(ref)} LIMIT ${limit}`
  );
}

/** The name of the staging table in the target's session (temporary, dropped at commit). */
export const STAGING_TABLE = 'sync_staging';

/** The staging table: the columns the COPY carries, with the target's types, no constraints. */
export function createStagingSql(plan: CopyPlan): string {
  const defs = plan.columns.map((c, i) => `${quoteIdent(c)} ${plan.types[i]!}`).join(', ');
  return `CREATE TEMP TABLE ${quoteIdent(STAGING_TABLE)} (${defs}) ON COMMIT DROP`;
}

export function copyInSql(plan: CopyPlan): string {
  const cols = plan.columns.map(quoteIdent).join(', ');
  return `COPY pg_temp.${quoteIdent(STAGING_TABLE)} (${cols}) FROM STDIN (FORMAT ${plan.format})`;
}

/** COPY straight into the table (a range the target holds no row of: direct-target.ts). */
export function copyTableSql(ref: TableRef, plan: CopyPlan): string {
  const cols = plan.columns.map(quoteIdent).join(', ');
  return `COPY ${qualified(ref)} (${cols}) FROM STDIN (FORMAT ${plan.format})`;
}

/**
 * Whether the target holds a row of the range, or the table had a delete in the last two minutes
 * (a tombstone the version guard of `sync_apply_staged` must respect). $1, $2: schema and table.
 */
export function rangeBusySql(ref: TableRef, plan: CopyPlan, range: KeyRange): string {
  return (
    `SELECT EXISTS (SELECT 1 FROM ${qualified(ref)} WHERE ${rangeCondition(ref, plan.keyTypes, range)}) ` +
    'OR EXISTS (SELECT 1 FROM public.sync_tombstones ts WHERE ts.schema_name = $1 AND ts.table_name = $2 ' +
    "AND ts.recorded_at > now() - interval '2 minutes') AS busy"
  );
}
