/**
 * The first copy's progress as shown (src/core/copy-progress.ts): the rate, the time left and its
 * rounding, and the line, from the workflow's counts and the running chunk's heartbeat.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InitialCopyState } from '../../src/contracts/table-sync.js';
import {
  copyProgressOf,
  copyRate,
  formatCount,
  roughDuration,
  secondsLeft,
} from '../../src/core/copy-progress.js';

const NOW = Date.parse('2026-12-08T12:00:00Z');

function copy(overrides: Partial<InitialCopyState> = {}): InitialCopyState {
  return {
    done: false,
    mode: 'full',
    from: null,
    keyCursor: null,
    versionCursor: null,
    rowsCopied: 0,
    total: null,
    startedAt: NOW - 60_000,
    finishedAt: null,
    ...overrides,
  };
}

describe('the rate and the time left', () => {
  test('no rate before any row or any time was measured', () => {
    assert.equal(copyRate(0, 1000), null);
    assert.equal(copyRate(500, 0), null);
    assert.equal(copyRate(500, 2000), 250);
    assert.equal(secondsLeft(0, 1000, null), null, 'no rate: no time left');
  });

  test('a zero estimate, an estimate below the rows copied, none at all: no time left', () => {
    assert.equal(secondsLeft(0, 0, 100), null);
    assert.equal(secondsLeft(1200, 1000, 100), null, 'the estimate was low: the end is not known');
    assert.equal(secondsLeft(1000, 1000, 100), null);
    assert.equal(secondsLeft(100, null, 100), null);
    assert.equal(secondsLeft(400, 1000, 100), 6);
  });

  test('rounded as people say it', () => {
    assert.equal(roughDuration(0), '1 s');
    assert.equal(roughDuration(0.2), '1 s');
    assert.equal(roughDuration(31.2), '32 s', 'seconds up');
    assert.equal(roughDuration(59.5), '60 s');
    assert.equal(roughDuration(60), '1 min');
    assert.equal(roughDuration(199), '3 min 20 s', 'to 10 s under 10 minutes');
    assert.equal(roughDuration(596), '10 min');
    assert.equal(roughDuration(24 * 60 + 20), '24 min');
    assert.equal(roughDuration(3600), '1 h');
    assert.equal(roughDuration(3600 + 5 * 60 + 10), '1 h 5 min');
    assert.equal(roughDuration(2 * 3600 - 10), '2 h');
  });

  test('counts with thousands separators', () => {
    assert.equal(formatCount(0), '0');
    assert.equal(formatCount(999), '999');
    assert.equal(formatCount(1000), '1,000');
    assert.equal(formatCount(18_299.6), '18,300');
    assert.equal(formatCount(1_234_567), '1,234,567');
  });
});

describe('the copy line', () => {
  test('copying: rows of about how many, rows/s, time left (the estimate marked ~)', () => {
    const c = copy({
      rowsCopied: 420_000,
      total: 1_000_000,
      totalExact: false,
      activeMs: 23_000,
      timedRows: 420_000,
      lastChunkAt: NOW,
    });
    const p = copyProgressOf(c, NOW);
    assert.equal(p.copied, 420_000);
    assert.equal(Math.round(p.rowsPerSecond!), 18_261);
    assert.equal(p.line, 'copying 420,000 of ~1,000,000 rows · 18,261 rows/s · about 32 s left');
  });

  test('an exact count has no ~; before any chunk, no rate and no time left', () => {
    const p = copyProgressOf(copy({ total: 5000 }), NOW);
    assert.equal(p.exact, true);
    assert.equal(p.rowsPerSecond, null);
    assert.equal(p.secondsLeft, null);
    assert.equal(p.line, 'copying 0 of 5,000 rows');
  });

  test('the running chunk adds its heartbeat rows and time; the time left counts down from it', () => {
    const c = copy({
      rowsCopied: 100_000,
      total: 400_000,
      activeMs: 10_000,
      timedRows: 100_000,
      lastChunkAt: NOW - 8000,
    });
    // 50,000 more in the 5 s of the running chunk, heartbeat 2 s ago: 150,000 in 15 s.
    const p = copyProgressOf(c, NOW, { rows: 50_000, ms: 5000, at: NOW - 2000 });
    assert.equal(p.copied, 150_000);
    assert.equal(p.rowsPerSecond, 10_000);
    assert.equal(p.secondsLeft, 23, '25 s from the heartbeat, 2 s ago');
    assert.equal(p.line, 'copying 150,000 of 400,000 rows · 10,000 rows/s · about 23 s left');
  });

  test('counts older than the time they left: about 1 s left, not finishing (only the counts say that)', () => {
    const c = copy({
      rowsCopied: 100_000,
      total: 150_000,
      activeMs: 10_000,
      timedRows: 100_000,
      lastChunkAt: NOW - 9000,
    });
    assert.equal(
      copyProgressOf(c, NOW).line,
      'copying 100,000 of 150,000 rows · 10,000 rows/s · about 1 s left',
    );
  });

  test('past a low estimate: the rows and the rate, no time left', () => {
    const c = copy({
      rowsCopied: 1_050_000,
      total: 1_000_000,
      totalExact: false,
      activeMs: 50_000,
      timedRows: 1_050_000,
    });
    assert.equal(
      copyProgressOf(c, NOW).line,
      'copying 1,050,000 rows (~1,000,000 estimated) · 21,000 rows/s',
    );
  });

  test('a zero estimate (an empty table when counted) and a window (no estimate): rows and rate', () => {
    const empty = copy({ rowsCopied: 30, total: 0, activeMs: 1000, timedRows: 30 });
    assert.equal(copyProgressOf(empty, NOW).line, 'copying 30 rows (0 counted) · 30 rows/s');
    const window = copy({ mode: 'window', rowsCopied: 200, total: 5000, activeMs: 2000, timedRows: 200 });
    assert.equal(copyProgressOf(window, NOW).line, 'copying 200 rows · 100 rows/s');
  });

  test('all rows copied, the last chunk not yet back: finishing', () => {
    const c = copy({ rowsCopied: 5000, total: 5000, activeMs: 1000, timedRows: 5000 });
    assert.equal(copyProgressOf(c, NOW).line, 'copying 5,000 of 5,000 rows · 5,000 rows/s · finishing');
  });

  test('a copy resumed after an upgrade counts its rate from the rows it timed', () => {
    const c = copy({ rowsCopied: 90_000, total: 100_000, activeMs: 1000, timedRows: 1000 });
    assert.equal(copyProgressOf(c, NOW).rowsPerSecond, 1000);
  });

  test('done: how long it took (chunk time, without pauses) and its rate', () => {
    const c = copy({
      done: true,
      rowsCopied: 1_000_000,
      total: 1_000_000,
      activeMs: 52_000,
      finishedAt: NOW,
    });
    const p = copyProgressOf(c, NOW);
    assert.equal(p.tookMs, 52_000);
    assert.equal(p.line, 'copied 1,000,000 rows in 52 s · 19,231 rows/s');
    // Recorded before chunk time was: from its start to its end.
    const old = copy({ done: true, rowsCopied: 3000, startedAt: NOW - 3000, finishedAt: NOW });
    assert.equal(copyProgressOf(old, NOW).line, 'copied 3,000 rows in 3 s · 1,000 rows/s');
  });
});
