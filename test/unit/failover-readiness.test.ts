/** failover check's judgement (pure): what makes a table, and the whole backup, not ready. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LIMITS, judge, type TableFacts } from '../../src/cli/failover-readiness.js';
import { isBehind } from '../../src/activities/sequences.js';

const now = Date.parse('2026-12-02T12:00:00Z');
const ready: TableFacts = {
  table: 'public.orders',
  state: 'running',
  lagSeconds: 1.2,
  lastPass: { finishedAt: now - 5000, ok: true },
  lastSuccessAt: now - 6000,
  oldestPendingDeletion: null,
  sequences: { checked: 1, behind: [] },
  schema: [],
  verify: { at: now - 3600_000, equal: true },
  errors: [],
};

void test('a running table, caught up, drained, sequences ahead, schema equal, verified: ready', () => {
  const r = judge([ready], { reasons: [], notes: [] }, DEFAULT_LIMITS, now);
  assert.equal(r.ready, true);
  assert.deepEqual(r.reasons, []);
});

void test('each fact that is not ready is a reason naming the table', () => {
  const r = judge(
    [
      {
        ...ready,
        state: 'failing',
        lagSeconds: 500,
        lastPass: { finishedAt: now - 3600_000, ok: false },
        oldestPendingDeletion: new Date(now - 60_000).toISOString(),
        sequences: { checked: 1, behind: [{ sequence: 'public.orders_id_seq', source: '41', target: '1' }] },
        schema: ['column note is on the target but not on the source'],
        verify: { at: now - 1000, equal: false },
        errors: ['the source: fetch failed'],
      },
    ],
    { reasons: ['auth users: auth.users differs (3 rows on the source, 2 on the target)'], notes: [] },
    DEFAULT_LIMITS,
    now,
  );
  assert.equal(r.ready, false);
  assert.deepEqual(r.reasons, [
    'public.orders: the source: fetch failed',
    'public.orders: state is failing, not running',
    'public.orders: lag 500 s is over 120 s',
    'public.orders: the last pass failed',
    'public.orders: the last pass was 3600 s ago (over 600 s)',
    `public.orders: deletion ledger not drained (a delete of ${new Date(now - 60_000).toISOString()} is not replayed)`,
    'public.orders: sequence public.orders_id_seq behind on the target (next 1, source 41)',
    'public.orders: schema: column note is on the target but not on the source',
    'public.orders: the last verify found differences (supabase-sync verify --repair)',
    'auth users: auth.users differs (3 rows on the source, 2 on the target)',
  ]);
});

void test('a delete newer than the last pass, and no verify yet, are notes, not reasons', () => {
  const r = judge(
    [{ ...ready, oldestPendingDeletion: new Date(now - 1000).toISOString(), verify: null }],
    { reasons: [], notes: [] },
    DEFAULT_LIMITS,
    now,
  );
  assert.equal(r.ready, true);
  assert.deepEqual(r.notes, [
    'public.orders: deletes newer than the last pass are waiting for the next one',
    'public.orders: never verified (supabase-sync verify)',
  ]);
  assert.equal(judge([], { reasons: [], notes: [] }, DEFAULT_LIMITS, now).ready, false);
});

void test('a sequence is behind in the direction of its increment; a missing one is behind', () => {
  const s = { schema: 'public', name: 's' };
  assert.equal(isBehind({ ...s, next: '10' }, { ...s, next: '9' }), true);
  assert.equal(isBehind({ ...s, next: '10' }, { ...s, next: '10' }), false);
  assert.equal(isBehind({ ...s, next: '9223372036854775807' }, { ...s, next: '9223372036854775806' }), true);
  assert.equal(isBehind({ ...s, next: '-10', increment: '-1' }, { ...s, next: '-5', increment: '-1' }), true);
  assert.equal(isBehind({ ...s, next: '10' }, { ...s, next: null }), true);
});

void test("a pending entry is judged by its age on the source's clock, not by comparing clocks", () => {
  // The source's clock is 2 minutes ahead of this host's: its stamp looks newer than the last pass.
  const skewed = new Date(now + 120_000).toISOString();
  const older = judge(
    [{ ...ready, oldestPendingDeletion: skewed, oldestPendingAgeMs: 60_000, oldestPendingKind: 'truncate' }],
    { reasons: [], notes: [] },
    DEFAULT_LIMITS,
    now,
  );
  assert.equal(older.ready, false);
  assert.deepEqual(older.reasons, [
    `public.orders: deletion ledger not drained (a TRUNCATE of ${skewed} is not replayed)`,
  ]);
  // A minute behind instead: its stamp looks older than the pass, but it happened after it began.
  const newer = judge(
    [{ ...ready, oldestPendingDeletion: new Date(now - 60_000).toISOString(), oldestPendingAgeMs: 1000 }],
    { reasons: [], notes: [] },
    DEFAULT_LIMITS,
    now,
  );
  assert.equal(newer.ready, true);
});
