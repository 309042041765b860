/** Upserts are sent in requests of at most a given size (gateways cap request bodies). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitBySize } from '../../src/supabase/target.js';

const row = (id: number, size: number) => ({ id, note: 'x'.repeat(size) });

test('rows that fit go in one request, unchanged', () => {
  const rows = [row(1, 10), row(2, 10)];
  assert.deepEqual(splitBySize(rows, 1000), [rows]);
});

test('rows are split in order into groups whose JSON stays under the limit', () => {
  const rows = Array.from({ length: 10 }, (_, i) => row(i, 80));
  const groups = splitBySize(rows, 400);
  assert.ok(groups.length > 1);
  assert.deepEqual(groups.flat(), rows, 'every row, once, in order');
  for (const group of groups)
    assert.ok(JSON.stringify(group).length <= 400, JSON.stringify(group).length.toString());
});

test('a row larger than the limit goes alone, never dropped', () => {
  const big = row(2, 2000);
  const groups = splitBySize([row(1, 10), big, row(3, 10)], 500);
  assert.deepEqual(groups, [[row(1, 10)], [big], [row(3, 10)]]);
});

test('no rows: one empty request group', () => {
  assert.deepEqual(splitBySize([], 100), [[]]);
});
