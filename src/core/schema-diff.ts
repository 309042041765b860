/**
 * Schema drift: how a table on the target differs from the same table on the source, each
 * difference with one line a user reads and the SQL that makes the target match. `blocking`
 * differences stop the table (its writes would fail or lose values) until they are fixed; the others
 * are shown in `status`, `schema diff` and `verify`, and the table keeps syncing.
 * Deterministic, no Node built-ins: workflow code may import it.
 */
import type { SchemaDifference } from '../contracts/schema-difference.js';
import type {
  ColumnSchema,
  TableSchema,
  TableSchemaResult,
  UniqueSchema,
} from '../contracts/table-schema.js';
import { quoteIdent, tableName } from './names.js';

function tableSql(schema: Pick<TableSchema, 'schema' | 'table'>): string {
  return `${quoteIdent(schema.schema)}.${quoteIdent(schema.table)}`;
}

/** A column's definition in CREATE TABLE / ADD COLUMN. */
function columnDefinition(c: ColumnSchema): string {
  let sql = `${quoteIdent(c.name)} ${c.type}`;
  if (c.collation) sql += ` COLLATE ${quoteIdent(c.collation)}`;
  if (c.generated !== null) return `${sql} GENERATED ALWAYS AS (${c.generated}) STORED`;
  if (c.identity) sql += ` GENERATED ${c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;
  else if (c.default !== null) sql += ` DEFAULT ${c.default}`;
  if (c.notNull) sql += ' NOT NULL';
  return sql;
}

/** The sequences a column default draws from (`nextval('public.x_id_seq'::regclass)`). */
function defaultSequences(columns: ColumnSchema[]): string[] {
  const names = new Set<string>();
  for (const c of columns) {
    const match = /nextval\('([^']+)'::regclass\)/.exec(c.default ?? '');
    if (match) names.add(match[1]!);
  }
  return [...names];
}

/** The unique index's definition on the target (the same statement; the name may be taken, so IF NOT EXISTS). */
function uniqueSql(u: UniqueSchema): string {
  return `${u.definition.replace(/^CREATE UNIQUE INDEX /, 'CREATE UNIQUE INDEX IF NOT EXISTS ')};`;
}

/** CREATE TABLE (and its sequences, partitions and unique indexes) for a table missing on the target. */
export function createTableSql(s: TableSchema): string {
  const lines = defaultSequences(s.columns).map((seq) => `CREATE SEQUENCE IF NOT EXISTS ${seq};`);
  const body = s.columns.map((c) => `  ${columnDefinition(c)}`);
  if (s.primaryKey) body.push(`  PRIMARY KEY (${s.primaryKey.map(quoteIdent).join(', ')})`);
  lines.push(
    `CREATE TABLE ${tableSql(s)} (\n${body.join(',\n')}\n)${s.partitionKey ? ` PARTITION BY ${s.partitionKey}` : ''};`,
  );
  for (const p of s.partitions) {
    const [ps, pt] = p.name.split('.') as [string, string];
    const [qs, qt] = p.parent.split('.') as [string, string];
    lines.push(
      `CREATE TABLE ${quoteIdent(ps)}.${quoteIdent(pt)} PARTITION OF ${quoteIdent(qs)}.${quoteIdent(qt)} ${p.bound};`,
    );
  }
  for (const u of s.uniques) lines.push(uniqueSql(u));
  return lines.join('\n');
}

/** What makes two unique indexes the same (their names may differ between projects). */
function uniqueShape(u: UniqueSchema): string {
  return JSON.stringify([u.columns, u.predicate, u.nullsNotDistinct]);
}

/** A column on both sides, and how the differences' messages and SQL name it. */
interface ColumnPair {
  s: ColumnSchema;
  t: ColumnSchema;
  /** `schema.table.column` as SQL, and `ALTER TABLE … ALTER COLUMN …` for it. */
  column: string;
  alter: string;
}

function typeDifference({ s, t, column, alter }: ColumnPair): SchemaDifference | undefined {
  if (s.type === t.type) return undefined;
  return {
    kind: 'type',
    name: s.name,
    message: `column ${column} is ${s.type} on the source but ${t.type} on the target`,
    sql: `${alter} TYPE ${s.type} USING ${quoteIdent(s.name)}::${s.type};`,
    blocking: true,
  };
}

function generatedDifference({ s, t, column, alter }: ColumnPair): SchemaDifference | undefined {
  if (s.generated === t.generated) return undefined;
  return {
    kind: 'generated',
    name: s.name,
    message:
      s.generated === null
        ? `column ${column} is generated on the target (${t.generated}) but not on the source`
        : `column ${column} is generated on the source (${s.generated})${t.generated ? ` as ${t.generated} on the target` : ' but not on the target'}`,
    sql:
      s.generated === null ? `${alter} DROP EXPRESSION;` : `-- recreate ${column} as: ${columnDefinition(s)}`,
    blocking: false,
  };
}

function identityDifference({ s, t, column, alter }: ColumnPair): SchemaDifference | undefined {
  if (s.identity === t.identity) return undefined;
  return {
    kind: 'identity',
    name: s.name,
    message: `column ${column} is ${s.identity ? `an identity (${s.identity})` : 'not an identity'} on the source but ${t.identity ? `an identity (${t.identity})` : 'not an identity'} on the target`,
    sql: s.identity
      ? t.identity
        ? `${alter} SET GENERATED ${s.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'};`
        : `${alter} ADD GENERATED ${s.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY;`
      : `${alter} DROP IDENTITY;`,
    blocking: false,
  };
}

function nullabilityDifference({ s, t, column, alter }: ColumnPair): SchemaDifference | undefined {
  if (s.notNull === t.notNull) return undefined;
  return {
    kind: 'nullability',
    name: s.name,
    message: `column ${column} is ${s.notNull ? 'NOT NULL' : 'nullable'} on the source but ${t.notNull ? 'NOT NULL' : 'nullable'} on the target`,
    sql: `${alter} ${s.notNull ? 'SET' : 'DROP'} NOT NULL;`,
    blocking: false,
  };
}

function defaultDifference({ s, t, column, alter }: ColumnPair): SchemaDifference | undefined {
  if (!(s.generated === null && t.generated === null && s.identity === null && s.default !== t.default))
    return undefined;
  return {
    kind: 'default',
    name: s.name,
    message: `column ${column} defaults to ${s.default ?? 'nothing'} on the source but ${t.default ?? 'nothing'} on the target`,
    sql: s.default === null ? `${alter} DROP DEFAULT;` : `${alter} SET DEFAULT ${s.default};`,
    blocking: false,
  };
}

/** The comparisons of a column on both sides, in the order their differences are listed. */
const COLUMN_COMPARISONS = [
  typeDifference,
  generatedDifference,
  identityDifference,
  nullabilityDifference,
  defaultDifference,
];

/** Each source column missing on the target, or how it differs there. */
function sourceColumnDifferences(source: TableSchema, target: TableSchema): SchemaDifference[] {
  const table = tableSql(source);
  const onTarget = new Map(target.columns.map((c) => [c.name, c]));
  const out: SchemaDifference[] = [];
  for (const s of source.columns) {
    const t = onTarget.get(s.name);
    if (!t) {
      out.push({
        kind: 'column-missing',
        name: s.name,
        message: `column ${s.name} (${s.type}) of ${tableName(source)} is on the source but not on the target`,
        sql: `ALTER TABLE ${table} ADD COLUMN ${columnDefinition({ ...s, identity: null })};`,
        blocking: true,
      });
      continue;
    }
    const pair: ColumnPair = {
      s,
      t,
      column: `${table}.${quoteIdent(s.name)}`,
      alter: `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(s.name)}`,
    };
    for (const compare of COLUMN_COMPARISONS) {
      const difference = compare(pair);
      if (difference) out.push(difference);
    }
  }
  return out;
}

/** The target's columns that the source does not have. */
function extraColumnDifferences(source: TableSchema, target: TableSchema): SchemaDifference[] {
  const table = tableSql(source);
  const onSource = new Set(source.columns.map((c) => c.name));
  const out: SchemaDifference[] = [];
  for (const t of target.columns) {
    if (onSource.has(t.name)) continue;
    // New rows get NULL (or the default) there: a NOT NULL column without one refuses them.
    const refuses = t.notNull && t.default === null && t.identity === null && t.generated === null;
    out.push({
      kind: 'column-extra',
      name: t.name,
      message: `column ${t.name} of ${tableName(source)} is on the target but not on the source${refuses ? ' (NOT NULL without a default: the target refuses new rows)' : ''}`,
      sql: `ALTER TABLE ${table} DROP COLUMN ${quoteIdent(t.name)};`,
      blocking: refuses,
    });
  }
  return out;
}

function primaryKeyDifferences(source: TableSchema, target: TableSchema): SchemaDifference[] {
  if (JSON.stringify(source.primaryKey) === JSON.stringify(target.primaryKey)) return [];
  const table = tableSql(source);
  const key = (k: string[] | null) => (k ? `(${k.join(', ')})` : 'none');
  return [
    {
      kind: 'primary-key',
      message: `the primary key of ${tableName(source)} is ${key(source.primaryKey)} on the source but ${key(target.primaryKey)} on the target`,
      sql: source.primaryKey
        ? `${target.primaryKey ? `ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(`${target.table}_pkey`)}; ` : ''}ALTER TABLE ${table} ADD PRIMARY KEY (${source.primaryKey.map(quoteIdent).join(', ')});`
        : `-- the source has no primary key: add one there`,
      blocking: true,
    },
  ];
}

/** Unique indexes on one side only: the source's missing on the target, then the target's extra ones. */
function uniqueDifferences(source: TableSchema, target: TableSchema): SchemaDifference[] {
  const name = tableName(source);
  const table = tableSql(source);
  const out: SchemaDifference[] = [];
  const targetShapes = new Map(target.uniques.map((u) => [uniqueShape(u), u]));
  const sourceShapes = new Set(source.uniques.map(uniqueShape));
  for (const u of source.uniques) {
    if (targetShapes.has(uniqueShape(u))) continue;
    out.push({
      kind: 'unique-missing',
      name: u.name,
      message: `unique ${u.constraint ? 'constraint' : 'index'} ${u.name} (${u.columns.join(', ')}${u.predicate ? ` WHERE ${u.predicate}` : ''}) of ${name} is on the source but not on the target`,
      sql: uniqueSql(u),
      blocking: false,
    });
  }
  for (const u of target.uniques) {
    if (sourceShapes.has(uniqueShape(u))) continue;
    out.push({
      kind: 'unique-extra',
      name: u.name,
      message: `unique ${u.constraint ? 'constraint' : 'index'} ${u.name} (${u.columns.join(', ')}) of ${name} is on the target but not on the source (rows the source allows may be refused)`,
      sql: u.constraint
        ? `ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(u.name)};`
        : `DROP INDEX ${quoteIdent(target.schema)}.${quoteIdent(u.name)};`,
      blocking: false,
    });
  }
  return out;
}

/** The differences of the target's table from the source's, in a stable order. */
export function diffTableSchemas(source: TableSchema, target: TableSchemaResult): SchemaDifference[] {
  if (!target.exists) {
    return [
      {
        kind: 'table-missing',
        message: `table ${tableName(source)} is on the source but not on the target`,
        sql: createTableSql(source),
        blocking: true,
      },
    ];
  }
  return [
    ...sourceColumnDifferences(source, target),
    ...extraColumnDifferences(source, target),
    ...primaryKeyDifferences(source, target),
    ...uniqueDifferences(source, target),
  ];
}

/** One line for a table's blocking differences: what is wrong and the SQL to run on the target. */
export function driftMessage(table: string, differences: SchemaDifference[]): string {
  const blocking = differences.filter((d) => d.blocking);
  const shown = blocking.length > 0 ? blocking : differences;
  return `${table}: schema drift: ${shown.map((d) => d.message).join('; ')}; run on the target: ${shown.map((d) => d.sql.replace(/\s*\n\s*/g, ' ')).join(' ')}`;
}
