/** The source database's clock as a worker reads it (source-clock.ts), and change-log entries as the adapter reads them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SourceClock } from '../../src/activities/source-clock.js';
import { changeEntry } from '../../src/supabase/source-answers.js';

void test("a lag is measured on the source's clock: a worker host 90 s ahead sees the same lag", () => {
  const clock = new SourceClock();
  const workerNow = Date.now();
  const dbNow = workerNow - 90_000;
  // Read with a 20 ms round trip: the database read its clock at about the midpoint.
  clock.observe(dbNow, workerNow - 20, workerNow);
  const committed = new Date(dbNow - 1500).toISOString();
  const lag = clock.since(committed);
  assert.ok(Math.abs(lag - 1510) < 50, `lag ${lag} ms, about 1.5 s by the source's clock`);
  assert.ok(Date.now() - Date.parse(committed) > 90_000, "by the worker's clock it would be over 90 s");
});

void test('the reading with the shortest round trip sets the offset; none yet or no db_ms: the worker clock', () => {
  const clock = new SourceClock();
  clock.observe(null, 0, 10);
  assert.ok(Math.abs(clock.now() - Date.now()) < 50);
  const t = Date.now();
  clock.observe(t + 5000, t - 1000, t + 1000); // a slow read: its midpoint is 1 s uncertain
  clock.observe(t + 10_000, t - 2, t); // a fast one
  assert.ok(Math.abs(clock.now() - (Date.now() + 10_001)) < 50);
  assert.equal(clock.since(new Date(clock.now() + 60_000).toISOString()), 0, 'never negative');
});

void test('a change-log entry holds its keys column by column; read back as key objects', () => {
  assert.deepEqual(changeEntry(['42', { post_id: [1, 2], tag: ['a', 'b'] }]), {
    id: 42,
    keys: [
      { post_id: 1, tag: 'a' },
      { post_id: 2, tag: 'b' },
    ],
  });
});
