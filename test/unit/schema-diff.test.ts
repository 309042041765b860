import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTableSql, diffTableSchemas, driftMessage } from '../../src/core/schema-diff.js';
import type { ColumnSchema, TableSchema } from '../../src/contracts/table-schema.js';

const col = (name: string, type: string, extra: Partial<ColumnSchema> = {}): ColumnSchema => ({
  name,
  type,
  notNull: false,
  default: null,
  identity: null,
  generated: null,
  collation: null,
  ...extra,
});

function schema(extra: Partial<TableSchema> = {}): TableSchema {
  return {
    exists: true,
    schema: 'public',
    table: 'invoices',
    kind: 'table',
    columns: [
      col('id', 'bigint', { notNull: true, identity: 'always' }),
      col('number', 'text', { notNull: true }),
      col('amount', 'numeric(12,2)', { notNull: true, default: '0' }),
      col('cents', 'bigint', { generated: '((amount * (100)::numeric))::bigint' }),
    ],
    primaryKey: ['id'],
    uniques: [
      {
        name: 'invoices_number_key',
        columns: ['number'],
        predicate: null,
        nullsNotDistinct: false,
        constraint: true,
        definition: 'CREATE UNIQUE INDEX invoices_number_key ON public.invoices USING btree (number)',
      },
    ],
    partitionKey: null,
    partitions: [],
    rls: false,
    replicaIdentity: 'd',
    serviceRoleSelect: true,
    publishedAs: [],
    versionIndexed: {},
    ...extra,
  };
}

test('equal schemas: no differences', () => {
  assert.deepEqual(diffTableSchemas(schema(), schema()), []);
});

test('a column added on the source stops the table and gives the ALTER TABLE for the target', () => {
  const source = schema({ columns: [...schema().columns, col('note', 'text', { default: "'n/a'::text" })] });
  const [d, ...rest] = diffTableSchemas(source, schema());
  assert.equal(rest.length, 0);
  assert.equal(d!.kind, 'column-missing');
  assert.equal(d!.blocking, true);
  assert.equal(d!.sql, "ALTER TABLE public.invoices ADD COLUMN note text DEFAULT 'n/a'::text;");
  assert.equal(
    driftMessage('public.invoices', [d!]),
    "public.invoices: schema drift: column note (text) of public.invoices is on the source but not on the target; run on the target: ALTER TABLE public.invoices ADD COLUMN note text DEFAULT 'n/a'::text;",
  );
});

test('a column dropped on the source: reported, blocking only when the target would refuse new rows', () => {
  const target = schema({ columns: [...schema().columns, col('legacy', 'text')] });
  const [d] = diffTableSchemas(schema(), target);
  assert.equal(d!.kind, 'column-extra');
  assert.equal(d!.blocking, false);
  assert.equal(d!.sql, 'ALTER TABLE public.invoices DROP COLUMN legacy;');
  const strict = schema({ columns: [...schema().columns, col('legacy', 'text', { notNull: true })] });
  assert.equal(diffTableSchemas(schema(), strict)[0]!.blocking, true);
});

test('types, nullability, defaults, identity, generated columns', () => {
  const target = schema({
    columns: [
      col('id', 'bigint', { notNull: true }),
      col('number', 'character varying(20)'),
      col('amount', 'numeric(12,2)', { notNull: true, default: '1' }),
      col('cents', 'bigint'),
    ],
  });
  const kinds = diffTableSchemas(schema(), target).map((d) => [d.kind, d.name, d.blocking, d.sql]);
  assert.deepEqual(kinds, [
    [
      'identity',
      'id',
      false,
      'ALTER TABLE public.invoices ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;',
    ],
    ['type', 'number', true, 'ALTER TABLE public.invoices ALTER COLUMN number TYPE text USING number::text;'],
    ['nullability', 'number', false, 'ALTER TABLE public.invoices ALTER COLUMN number SET NOT NULL;'],
    ['default', 'amount', false, 'ALTER TABLE public.invoices ALTER COLUMN amount SET DEFAULT 0;'],
    [
      'generated',
      'cents',
      false,
      '-- recreate public.invoices.cents as: cents bigint GENERATED ALWAYS AS (((amount * (100)::numeric))::bigint) STORED',
    ],
  ]);
});

test('primary keys and unique constraints, matched by shape not name', () => {
  const renamed = schema({
    uniques: [
      {
        ...schema().uniques[0]!,
        name: 'other_name',
        definition: 'CREATE UNIQUE INDEX other_name ON public.invoices USING btree (number)',
      },
    ],
  });
  assert.deepEqual(diffTableSchemas(schema(), renamed), []);
  const target = schema({ primaryKey: ['number'], uniques: [] });
  const diffs = diffTableSchemas(schema(), target);
  assert.deepEqual(
    diffs.map((d) => [d.kind, d.blocking]),
    [
      ['primary-key', true],
      ['unique-missing', false],
    ],
  );
  assert.equal(
    diffs[1]!.sql,
    'CREATE UNIQUE INDEX IF NOT EXISTS invoices_number_key ON public.invoices USING btree (number);',
  );
});

test('a table missing on the target: CREATE TABLE with its key, identity, generated column, partitions and unique indexes', () => {
  const partitioned = schema({
    table: 'events',
    kind: 'partitioned',
    partitionKey: 'RANGE (at)',
    columns: [
      col('id', 'bigint', { notNull: true, identity: 'always' }),
      col('at', 'date', { notNull: true }),
    ],
    primaryKey: ['id', 'at'],
    uniques: [],
    partitions: [
      {
        name: 'public.events_1',
        parent: 'public.events',
        bound: "FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')",
        leaf: true,
      },
    ],
  });
  const [d] = diffTableSchemas(partitioned, { exists: false, schema: 'public', table: 'events' });
  assert.equal(d!.kind, 'table-missing');
  assert.equal(
    d!.sql,
    [
      'CREATE TABLE public.events (',
      '  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,',
      '  at date NOT NULL,',
      '  PRIMARY KEY (id, at)',
      ') PARTITION BY RANGE (at);',
      "CREATE TABLE public.events_1 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');",
    ].join('\n'),
  );
  assert.match(createTableSql(schema()), /cents bigint GENERATED ALWAYS AS \(.*\) STORED,/);
});
