/**
 * How `supabase-sync status` shows the app's objects that differ (src/cli/status-objects.ts): one
 * line each, at most 10, then how many more; one line when they cannot be compared; in --json one
 * entry each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppDifference } from '../../src/contracts/app-catalog.js';
import { objectEntries, objectLines } from '../../src/cli/status-objects.js';

const missing = (i: number): AppDifference => ({
  kind: 'policy',
  object: `policy "p${i}" on app.posts`,
  change: 'missing',
  message: `policy "p${i}" on app.posts is missing on the target`,
  sql: [`CREATE POLICY "p${i}" ON app.posts USING (true);`],
  dropsData: false,
});

test('nothing when the objects match; one line each up to 10, then how many more', () => {
  assert.deepEqual(objectLines({ objects: [] }), []);
  const lines = objectLines({ objects: Array.from({ length: 12 }, (_, i) => missing(i)) });
  assert.equal(
    lines[0],
    "schema: 12 of the app's objects (policies, privileges, functions, views, triggers, types, indexes) differ on the target:",
  );
  assert.equal(lines[1], '  policy "p0" on app.posts is missing on the target');
  assert.equal(lines.length, 12);
  assert.equal(lines[11], '  and 2 more (supabase-sync schema diff)');
});

test('not compared: one line saying why; --json entries', () => {
  assert.deepEqual(objectLines({ objectsError: 'no answer within 3 s' }), [
    "(the app's policies, privileges and functions could not be compared: no answer within 3 s)",
  ]);
  assert.deepEqual(objectEntries({ objectsError: 'no answer within 3 s' }), [
    { object: "the app's objects", state: 'not compared', error: 'no answer within 3 s' },
  ]);
  assert.deepEqual(objectEntries({ objects: [missing(1)] }), [
    {
      object: 'policy "p1" on app.posts',
      kind: 'policy',
      state: 'differs',
      change: 'missing',
      message: 'policy "p1" on app.posts is missing on the target',
      sql: ['CREATE POLICY "p1" ON app.posts USING (true);'],
    },
  ]);
});
