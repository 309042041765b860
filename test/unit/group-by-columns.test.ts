/** Rows sent to `sync_apply_upserts` in one call share their columns (it reads them off the first row). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupByColumns } from '../../src/supabase/target.js';

test('rows with the same keys stay in one group, in order', () => {
  const rows = [
    { id: 1, a: 'x' },
    { id: 2, a: 'y' },
  ];
  assert.deepEqual(groupByColumns(rows), [rows]);
});

test('a row lacking a column goes to a group of its own kind', () => {
  const full1 = { id: 1, a: 'x', _sync_commit_at: 't1' };
  const reread = { id: 2, a: 'y' };
  const full2 = { id: 3, a: 'z', _sync_commit_at: 't2' };
  assert.deepEqual(groupByColumns([full1, reread, full2]), [[full1, full2], [reread]]);
});

test('no rows, no groups', () => {
  assert.deepEqual(groupByColumns([]), []);
});
