/**
 * What the table workflow refuses before anything is recorded (a request past its deadline, a
 * `since` that is not a time, a pass on a table that cannot be prepared), what a failing table
 * does with new settings, the state a one-pass run ends in, and the status memo — pure functions,
 * without a server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TableConfig } from '../../src/config/types.js';
import {
  buildStatus,
  finalStateName,
  initialState,
  isFailing,
  nextWaitMs,
  passBlocked,
  resetBackoff,
  stateName,
} from '../../src/workflows/decisions.js';
import { expiredRequestError, passOptionsError } from '../../src/workflows/requests.js';
import { MEMO_PASS_EVERY_MS, memoSignature, statusMemo } from '../../src/workflows/status-memo.js';
import type { SyncSettings, SyncState } from '../../src/workflows/types.js';

const settings: SyncSettings = {
  intervalMs: 30_000,
  lookbackMs: 300_000,
  batchSize: 500,
  initialBackfillMs: null,
  realtime: true,
  loop: true,
  maxPassesPerRun: 500,
  searchAttributes: false,
};
const spec: TableConfig = {
  schema: 'public',
  table: 'orders',
  qualifiedName: 'public.orders',
  primaryKeys: ['id'],
  incrementalFields: ['updated_at'],
  realtime: true,
  reconcile: true,
};
const NOW = Date.parse('2026-01-31T12:00:00Z');

function prepareFailed(): SyncState {
  return {
    ...initialState(settings, NOW),
    lastError: { at: NOW, where: 'prepare', message: 'column "nope" does not exist' },
    consecutiveFailures: 3,
  };
}

describe('requests the workflow refuses', () => {
  test('a request seen after its deadline is refused, saying when it expired; one in time, or without one, is not', () => {
    assert.equal(expiredRequestError({ notAfter: NOW }, NOW), undefined);
    assert.equal(expiredRequestError(undefined, NOW), undefined, 'messages sent by npm run sync carry none');
    assert.equal(expiredRequestError({}, NOW), undefined);
    assert.equal(
      expiredRequestError({ notAfter: NOW }, NOW + 1),
      'this request expired at 2026-01-31T12:00:00.000Z (the workflow saw it at 2026-01-31T12:00:00.001Z) and was not applied: send it again while a worker runs',
    );
  });

  test('`since` must be a time, with the same words in the CLI and the workflow', () => {
    assert.equal(passOptionsError({ since: '2026-01-31T00:00:00Z' }), undefined);
    assert.equal(passOptionsError({ full: true }), undefined);
    assert.equal(passOptionsError(undefined), undefined);
    assert.equal(
      passOptionsError({ since: 'yesterday' }),
      'since must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z (got "yesterday")',
    );
  });

  test('a pass is refused at once, with the table own error, while the table cannot be prepared', () => {
    assert.equal(
      passBlocked(prepareFailed(), false),
      'the table cannot run a pass until it is fixed: column "nope" does not exist',
    );
    assert.equal(passBlocked(prepareFailed(), true), 'the workflow is stopping');
    assert.equal(
      passBlocked(initialState(settings, NOW), false),
      undefined,
      'not prepared yet, no error: waits',
    );
    const passFailing: SyncState = {
      ...initialState(settings, NOW),
      prepared: true,
      consecutiveFailures: 2,
      lastError: { at: NOW, where: 'reconcile', message: 'boom' },
    };
    assert.equal(
      passBlocked(passFailing, false),
      undefined,
      'a failing pass runs again at once and says why',
    );
  });
});

describe('new settings for a failing table', () => {
  test('the backoff starts over: the next wait is one interval', () => {
    const failing: SyncState = { ...initialState(settings, NOW), prepared: true, consecutiveFailures: 6 };
    assert.ok(isFailing(failing));
    assert.ok(nextWaitMs(settings, failing.consecutiveFailures) > settings.intervalMs);
    const reset = resetBackoff(failing);
    assert.equal(reset.consecutiveFailures, 0);
    assert.equal(nextWaitMs(settings, reset.consecutiveFailures), settings.intervalMs);
    assert.ok(isFailing(prepareFailed()), 'a table whose prepare failed is failing');
    assert.ok(!isFailing(initialState(settings, NOW)));
  });
});

describe('the state a one-pass run ends in', () => {
  test('stopped after a good pass, failing after a failed one (not the phase it ended in)', () => {
    const done: SyncState = {
      ...initialState(settings, NOW),
      prepared: true,
      initialCopy: { ...initialState(settings, NOW).initialCopy, done: true },
    };
    assert.equal(stateName(done, false), 'running');
    assert.equal(finalStateName(done), 'stopped');
    assert.equal(finalStateName({ ...done, consecutiveFailures: 1 }), 'failing');
    assert.equal(finalStateName(prepareFailed()), 'failing');
  });
});

describe('the status memo', () => {
  const state: SyncState = {
    ...initialState(settings, NOW),
    prepared: true,
    versionColumn: 'updated_at',
    initialCopy: { ...initialState(settings, NOW).initialCopy, keyCursor: ['42'], rowsCopied: 42 },
  };
  const status = buildStatus(spec, settings, state, false, NOW);

  test('holds the status without the copy key cursors, and when it was recorded', () => {
    const memo = statusMemo(status, NOW + 5);
    assert.equal(memo.recordedAt, NOW + 5);
    assert.equal(memo.initialCopy.keyCursor, null, 'no key values');
    assert.equal(memo.initialCopy.rowsCopied, 42);
    assert.equal(memo.state, 'copying');
    assert.equal(memo.table, 'public.orders');
  });

  test('is new when the state, the last error or the copy changed, or a pass 15 min after the last; not for counts', () => {
    const base = memoSignature(status);
    assert.equal(memoSignature({ ...status, counters: { ...status.counters, realtimeWritten: 9 } }), base);
    assert.equal(memoSignature({ ...status, lagSeconds: 3 }), base);
    assert.notEqual(memoSignature({ ...status, state: 'paused' }), base);
    const passAt = (finishedAt: number, ok = true) =>
      memoSignature({
        ...status,
        lastPass: {
          kind: 'reconcile',
          startedAt: finishedAt - 1,
          finishedAt,
          rowsRead: 0,
          written: 0,
          skipped: 0,
          deletesReplayed: 0,
          deleted: 0,
          ok,
        },
      });
    assert.notEqual(passAt(NOW), base, 'the first pass');
    assert.equal(passAt(NOW + 5 * 60_000), passAt(NOW), 'an idle table: a pass every 5 min is not new');
    assert.notEqual(passAt(NOW + MEMO_PASS_EVERY_MS), passAt(NOW), '15 min later it is');
    assert.notEqual(passAt(NOW + 1, false), passAt(NOW), 'a failed pass is');
    assert.notEqual(
      memoSignature({ ...status, lastError: { at: NOW, where: 'reconcile', message: 'x' } }),
      base,
    );
    assert.notEqual(memoSignature({ ...status, initialCopy: { ...status.initialCopy, done: true } }), base);
  });
});
