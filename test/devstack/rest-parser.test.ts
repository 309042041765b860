/** The PostgREST URL grammar of the local stand-in (devstack/rest/query-params.ts): pure, no server. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestError } from '../../devstack/rest/errors.js';
import type { Condition } from '../../devstack/rest/filters.js';
import { parseQuery, parseSelect, parseOrder } from '../../devstack/rest/query-params.js';
import { Params, arrayLiteral, conditionSql } from '../../devstack/rest/sql.js';

const parse = (qs: string) => parseQuery(new URLSearchParams(qs));

function assertPgrst100(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof RestError && e.code === 'PGRST100' && e.status === 400);
}

void test('filters: operators, not, form-decoded values taken literally', () => {
  const q = parse(
    'a=eq.1&b=neq.x+y&d=gte.2024-01-01T00%3A00%3A00%2B00%3A00&name=eq.a%26b%3Dc%2Bd%2Ce%28f%29+%22g%22&c=not.is.null',
  );
  assert.deepEqual(q.conditions, [
    { type: 'filter', column: 'a', negate: false, operation: { kind: 'compare', op: 'eq', value: '1' } },
    { type: 'filter', column: 'b', negate: false, operation: { kind: 'compare', op: 'neq', value: 'x y' } },
    {
      type: 'filter',
      column: 'd',
      negate: false,
      operation: { kind: 'compare', op: 'gte', value: '2024-01-01T00:00:00+00:00' },
    },
    {
      type: 'filter',
      column: 'name',
      negate: false,
      operation: { kind: 'compare', op: 'eq', value: 'a&b=c+d,e(f) "g"' },
    },
    { type: 'filter', column: 'c', negate: true, operation: { kind: 'is', value: 'null' } },
  ]);
});

void test('in lists with quoted values and backslash escapes', () => {
  const q = parse(`g=in.${encodeURIComponent('(1,2,"a,b",c,"x\\"y")')}`);
  assert.deepEqual(q.conditions[0], {
    type: 'filter',
    column: 'g',
    negate: false,
    operation: { kind: 'in', values: ['1', '2', 'a,b', 'c', 'x"y'] },
  });
  assert.deepEqual(parse('g=in.()').conditions[0], {
    type: 'filter',
    column: 'g',
    negate: false,
    operation: { kind: 'in', values: [] },
  });
});

void test('like(any), fts(config), is values are case-insensitive', () => {
  const q = parse(`e=like(any).${encodeURIComponent('{a*,*b}')}&f=fts(english).cat&h=is.NULL`);
  assert.deepEqual(
    q.conditions.map((c) => (c.type === 'filter' ? c.operation : null)),
    [
      { kind: 'compare', op: 'like', value: '{a*,*b}', quantifier: 'any' },
      { kind: 'fts', op: 'fts', config: 'english', value: 'cat' },
      { kind: 'is', value: 'null' },
    ],
  );
});

void test('or/and logic trees with nesting, not.and, quoted and {array} values', () => {
  const raw =
    '(status.eq.active,and(age.gte.18,age.lt.65),not.and(a.eq."x,y",b.in.(1,"2,3")),tags.cs.{a,b},name.ilike.*jo*)';
  const q = parse(`or=${encodeURIComponent(raw)}&not.and=${encodeURIComponent('(x.eq.1,y.not.eq.2)')}`);
  const f = (column: string, operation: unknown, negate = false): Condition =>
    ({ type: 'filter', column, negate, operation }) as Condition;
  assert.deepEqual(q.conditions, [
    {
      type: 'logic',
      op: 'or',
      negate: false,
      children: [
        f('status', { kind: 'compare', op: 'eq', value: 'active' }),
        {
          type: 'logic',
          op: 'and',
          negate: false,
          children: [
            f('age', { kind: 'compare', op: 'gte', value: '18' }),
            f('age', { kind: 'compare', op: 'lt', value: '65' }),
          ],
        },
        {
          type: 'logic',
          op: 'and',
          negate: true,
          children: [
            f('a', { kind: 'compare', op: 'eq', value: 'x,y' }),
            f('b', { kind: 'in', values: ['1', '2,3'] }),
          ],
        },
        f('tags', { kind: 'compare', op: 'cs', value: '{a,b}' }),
        f('name', { kind: 'compare', op: 'ilike', value: '*jo*' }),
      ],
    },
    {
      type: 'logic',
      op: 'and',
      negate: true,
      children: [
        f('x', { kind: 'compare', op: 'eq', value: '1' }),
        f('y', { kind: 'compare', op: 'eq', value: '2' }, true),
      ],
    },
  ]);
});

void test('select: columns, quoted names, aliases; embedding and casts are refused', () => {
  assert.deepEqual(parseSelect('id,"weird col",alias:other,"q:a":"b c"'), [
    { kind: 'column', name: 'id', alias: null },
    { kind: 'column', name: 'weird col', alias: null },
    { kind: 'column', name: 'other', alias: 'alias' },
    { kind: 'column', name: 'b c', alias: 'q:a' },
  ]);
  assert.deepEqual(parseSelect('*'), [{ kind: 'star' }]);
  assertPgrst100(() => parseSelect('id,other(*)'));
  assertPgrst100(() => parseSelect('id,other!inner(name)'));
  assertPgrst100(() => parseSelect('...other(name)'));
  assertPgrst100(() => parseSelect('id::text'));
});

void test('order, limit, offset, columns, on_conflict', () => {
  assert.deepEqual(parseOrder('updated_at.asc,id.desc.nullsfirst,x.nullslast,"a.b".desc,y'), [
    { column: 'updated_at', direction: 'asc', nulls: null },
    { column: 'id', direction: 'desc', nulls: 'first' },
    { column: 'x', direction: null, nulls: 'last' },
    { column: 'a.b', direction: 'desc', nulls: null },
    { column: 'y', direction: null, nulls: null },
  ]);
  const q = parse(
    'limit=10&offset=20&columns=%22id%22%2C%22name%22%2C%22extra%22&on_conflict=tenant_id%2Cid',
  );
  assert.equal(q.limit, 10);
  assert.equal(q.offset, 20);
  assert.deepEqual(q.columns, ['id', 'name', 'extra']);
  assert.deepEqual(q.onConflict, ['tenant_id', 'id']);
});

void test('rpc arguments are split from filters', () => {
  const q = parseQuery(new URLSearchParams('a=1&b=%7B1%2C2%7D&id=eq.3'), { argNames: new Set(['a', 'b']) });
  assert.deepEqual(
    [...q.args],
    [
      ['a', '1'],
      ['b', '{1,2}'],
    ],
  );
  assert.equal(q.conditions.length, 1);
});

void test('malformed parameters are PGRST100', () => {
  assertPgrst100(() => parse('a=0'));
  assertPgrst100(() => parse('a=foo.1'));
  assertPgrst100(() => parse('a=is.maybe'));
  assertPgrst100(() => parse('a=in.1,2'));
  assertPgrst100(() => parse('limit=ten'));
  assertPgrst100(() => parse('order=id.sideways'));
  assertPgrst100(() => parse(`or=${encodeURIComponent('(a.eq.1')}`));
  assertPgrst100(() => parse(`or=${encodeURIComponent('a.eq.1')}`));
  assertPgrst100(() => parse('other.order=id.asc'));
});

void test('SQL for conditions uses bind parameters only', () => {
  const params = new Params();
  const q = parse(`or=${encodeURIComponent('(name.like.a*,not.and(id.in.(1,"2,3"),ok.is.true))')}`);
  const [condition] = q.conditions;
  assert.ok(condition);
  const sql = conditionSql(condition, (c) => `t."${c}"`, params);
  assert.equal(sql, '(t."name" LIKE $1 OR NOT ((t."id" = ANY($2) AND t."ok" IS TRUE)))');
  assert.deepEqual(params.values, ['a%', '{"1","2,3"}']);
  assert.equal(arrayLiteral(['a"b', 'c\\d']), '{"a\\"b","c\\\\d"}');
});
