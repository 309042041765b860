/** Filter strings of `postgres_changes` bindings and binding params, without a database. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter, passesFilters, type ColumnFilter } from '../../devstack/realtime/filters.js';
import { bindingId, parseBinding } from '../../devstack/realtime/subscriptions.js';

function filters(text: string): ColumnFilter[] {
  const parsed = parseFilter(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.filters;
}

void test('parses comma-separated filters, not., in lists and quoted values', () => {
  assert.deepEqual(
    filters('id=eq.5,name=not.in.("a,b",c)').map((f) => [f.column, f.op, f.negate, f.value, f.values]),
    [
      ['id', 'eq', false, '5', []],
      ['name', 'in', true, '("a,b",c)', ['a,b', 'c']],
    ],
  );
  assert.deepEqual(parseFilter('  '), { ok: true, filters: [] });
  assert.equal(parseFilter('id=foo.1').ok, false);
  assert.equal(parseFilter('nonsense').ok, false);
});

void test('evaluates like the SQL operators on typed values', () => {
  const row = { id: 5, name: 'Ab', ok: true, gone: null };
  const pass = (f: string) => passesFilters(filters(f), row);
  assert.ok(pass('id=eq.5'));
  assert.ok(!pass('id=eq.05.5'));
  assert.ok(
    pass('id=gt.4.5') && pass('id=gte.5') && pass('id=lt.10') && pass('id=lte.5') && pass('id=neq.6'),
  );
  assert.ok(!pass('id=lt.5'));
  assert.ok(pass('id=in.(1,5)') && !pass('id=in.(1,2)'));
  assert.ok(pass('name=eq.Ab') && pass('name=like.A%') && pass('name=ilike.a*') && !pass('name=like.a%'));
  assert.ok(pass('ok=eq.true') && pass('ok=is.true') && pass('gone=is.null'));
  assert.ok(!pass('gone=eq.1') && !pass('gone=not.eq.1'), 'NULL never compares');
  assert.ok(!pass('missing=eq.1'), 'a column not in the record fails');
  assert.ok(pass('id=eq.5,name=eq.Ab') && !pass('id=eq.5,name=eq.x'));
});

void test('binding params: defaults, event case, ids deterministic and never 0', () => {
  const a = parseBinding({ event: 'insert', table: 'items' });
  assert.ok(a.ok);
  if (!a.ok) return;
  assert.equal(a.binding.schema, 'public');
  assert.equal(a.binding.event, 'INSERT');
  const b = parseBinding({ event: '*', schema: 'public' });
  assert.ok(b.ok && b.binding.table === '*');
  assert.equal(parseBinding({ event: '*' }).ok, false);
  assert.equal(bindingId({ a: 1, b: 2 }), bindingId({ b: 2, a: 1 }));
  assert.notEqual(bindingId({ table: 'x' }), bindingId({ table: 'y' }));
  const id = bindingId({ table: 'x' });
  assert.ok(Number.isInteger(id) && id > 0 && id < 2 ** 27);
});
