/** Where the feed's delete check reads the ledger from (ledger-marks.ts), on the source's clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LedgerMarks } from '../../src/activities/ledger-marks.js';

void test('a check reads from the id covered 2 s earlier on the source clock, then from what it covered', () => {
  const marks = new LedgerMarks(2000);
  marks.reset(10, 1_000);
  assert.equal(marks.from(10, 1_500), 10, 'nothing moved: from the covered id');
  marks.mark(20, 1_500);
  // Within 2 s of the move: again from 10, so an id in flight below 20 is still found.
  assert.equal(marks.from(20, 2_500), 10);
  assert.equal(marks.from(20, 3_400), 10);
  marks.mark(30, 3_400);
  // 2 s after the first move the mark in force 2 s ago is 20's.
  assert.equal(marks.from(30, 3_600), 20);
  assert.equal(marks.from(30, 5_300), 20);
  // 2 s after the last move: from what it covered (no read is needed).
  assert.equal(marks.from(30, 5_500), 30);
  assert.equal(marks.from(30, 60_000), 30);
});

void test('the worker clock plays no part: marks far from the worker time behave the same', () => {
  const marks = new LedgerMarks(2000);
  const db = Date.now() - 3_600_000;
  marks.reset(5, db);
  marks.mark(9, db + 100);
  assert.equal(marks.from(9, db + 1_000), 5);
  assert.equal(marks.from(9, db + 2_200), 9);
});

void test('without the source clock (older functions): from the covered id, as before', () => {
  const marks = new LedgerMarks(2000);
  marks.reset(10, null);
  marks.mark(20, null);
  assert.equal(marks.from(20, null), 20);
  assert.equal(marks.from(20, 5_000), 20, 'no mark was kept without a clock');
});

void test('never from above the covered id; a mark repeated at the same id is kept once', () => {
  const marks = new LedgerMarks(2000);
  marks.reset(50, 0);
  marks.mark(50, 100);
  marks.mark(60, 200);
  assert.equal(marks.from(40, 300), 40, 'a covered id below every mark (a takeover from 0) wins');
  assert.equal(marks.from(60, 2_150), 50);
  assert.equal(marks.from(60, 2_200), 60);
});
