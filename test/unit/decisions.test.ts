import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { advanceCursor, compareVersions, reconcileFrom } from '../../src/core/versions.js';
import {
  applyRealtimeProgress,
  feedIsLive,
  initialState,
  nextWaitMs,
  passIntervalMs,
  planInitialCopy,
  realtimeEnabled,
  recordPass,
  recordPrepared,
  shouldContinueAsNew,
} from '../../src/workflows/decisions.js';
import { buildStatus, isFailing, lagSeconds, phaseOf, stateName } from '../../src/workflows/table-status.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import type { PassSummary, SyncState } from '../../src/contracts/table-sync.js';
import {
  expiredRequestError,
  passBlocked,
  passOptionsError,
  resetBackoff,
} from '../../src/workflows/requests.js';
import {
  finalStateName,
  MEMO_PASS_EVERY_MS,
  memoSignature,
  statusMemo,
} from '../../src/workflows/status-memo.js';

import { NOW, settings, spec } from './table-fixtures.js';

function pass(overrides: Partial<PassSummary> = {}): PassSummary {
  return {
    kind: 'reconcile',
    startedAt: NOW,
    finishedAt: NOW + 1000,
    rowsRead: 10,
    written: 4,
    skipped: 6,
    deletesReplayed: 2,
    deleted: 1,
    ok: true,
    ...overrides,
  };
}

describe('checkpoint', () => {
  test('compares timestamps by instant, not by text', () => {
    assert.ok(compareVersions('2026-01-31T12:00:00+00:00', '2026-01-31T13:00:00+02:00') > 0);
    assert.ok(compareVersions('2026-01-31T12:00:00.000001+00:00', '2026-01-31T12:00:00.000002+00:00') < 0);
    assert.equal(compareVersions('2026-01-31T12:00:00+00:00', '2026-01-31T12:00:00+00:00'), 0);
    assert.ok(compareVersions('10', '9') > 0, 'numeric versions compare as numbers');
  });

  test('never moves backwards', () => {
    assert.equal(advanceCursor(null, '2026-01-01T00:00:00+00:00'), '2026-01-01T00:00:00+00:00');
    assert.equal(
      advanceCursor('2026-01-02T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
      '2026-01-02T00:00:00+00:00',
    );
    assert.equal(advanceCursor('2026-01-02T00:00:00+00:00', null), '2026-01-02T00:00:00+00:00');
  });

  test('the next pass starts one lookback window before the checkpoint', () => {
    assert.equal(reconcileFrom('2026-01-31T12:00:00+00:00', 300_000), '2026-01-31T11:55:00.000Z');
    assert.equal(reconcileFrom(null, 300_000), null);
    assert.equal(reconcileFrom('42', 300_000), '42', 'non-timestamp versions have no lookback');
    assert.equal(
      reconcileFrom('2026-01-31T12:00:00.123456', 300_000),
      '2026-01-31T11:55:00.123',
      'a timestamp without time zone stays zoneless, whatever the worker time zone',
    );
    assert.equal(reconcileFrom('2026-01-31', 86_400_000), '2026-01-30T00:00:00.000');
  });

  test('recording a pass adds its counts and advances the cursor; a failed one counts the streak', () => {
    let state = initialState(settings, NOW);
    state = recordPass(state, pass(), '2026-01-31T11:00:00+00:00');
    assert.equal(state.reconcileCursor, '2026-01-31T11:00:00+00:00');
    assert.equal(state.counters.reconcileWritten, 4);
    assert.equal(state.counters.ledgerDeleted, 1);
    assert.equal(state.lastSuccessAt, NOW);
    state = recordPass(state, pass({ ok: false, startedAt: NOW + 5000 }), null);
    assert.equal(state.consecutiveFailures, 1);
    assert.equal(state.lastSuccessAt, NOW, 'a failed pass does not count as success');
    assert.equal(state.reconcileCursor, '2026-01-31T11:00:00+00:00');
  });
});

describe('initial copy', () => {
  test('copies the whole table by default', () => {
    const copy = planInitialCopy({ initialBackfillMs: null }, NOW);
    assert.equal(copy.mode, 'full');
    assert.equal(copy.from, null);
  });
  test('SYNC_INITIAL_BACKFILL_MS limits it to a window', () => {
    const copy = planInitialCopy({ initialBackfillMs: 86_400_000 }, NOW);
    assert.equal(copy.mode, 'window');
    assert.equal(copy.from, '2026-01-30T12:00:00.000Z');
  });
});

describe('timing', () => {
  test('waits one interval, and backs off exponentially after failures (capped at 5 min)', () => {
    assert.equal(nextWaitMs(settings, 0), 30_000);
    assert.equal(nextWaitMs(settings, 1), 30_000);
    assert.equal(nextWaitMs(settings, 2), 60_000);
    assert.equal(nextWaitMs(settings, 3), 120_000);
    assert.equal(nextWaitMs(settings, 10), 300_000);
    assert.equal(nextWaitMs({ intervalMs: 600_000 }, 3), 600_000, 'never shorter than the interval');
  });

  test('with a live realtime feed, passes run at the live interval when it is longer', () => {
    const live = { ...settings, liveIntervalMs: 300_000 };
    assert.equal(nextWaitMs(live, 0, true), 300_000);
    assert.equal(nextWaitMs(live, 0, false), 30_000, 'the feed is not live: the base interval');
    assert.equal(nextWaitMs(live, 0), 30_000, 'not live unless said');
    assert.equal(
      passIntervalMs({ intervalMs: 30_000, liveIntervalMs: 0 }, true),
      30_000,
      '0: the base interval',
    );
    assert.equal(
      passIntervalMs({ intervalMs: 30_000, liveIntervalMs: 10_000 }, true),
      30_000,
      'never shorter',
    );
    assert.equal(passIntervalMs({ intervalMs: 30_000 }, true), 30_000, 'absent (an older workflow input)');
    assert.equal(passIntervalMs({ intervalMs: 600_000, liveIntervalMs: 300_000 }, true), 600_000);
  });

  test('after failures the backoff applies whether or not the feed is live', () => {
    const live = { ...settings, liveIntervalMs: 300_000 };
    assert.equal(nextWaitMs(live, 1, true), 30_000);
    assert.equal(nextWaitMs(live, 2, true), 60_000);
    assert.equal(nextWaitMs(live, 10, true), 300_000);
    assert.equal(nextWaitMs(live, 2, false), nextWaitMs(settings, 2));
  });

  test('the feed is live only when enabled, running, connected and not failed since', () => {
    const state = initialState(settings, NOW);
    const connected = { ...state, realtime: { ...state.realtime, connected: true } };
    const input = { realtimeEnabled: true, feedRunning: true, state: connected };
    assert.equal(feedIsLive(input), true);
    assert.equal(feedIsLive({ ...input, realtimeEnabled: false }), false, 'realtime off / reconcile-only');
    assert.equal(feedIsLive({ ...input, feedRunning: false }), false, 'feed not running');
    assert.equal(feedIsLive({ ...input, state }), false, 'disconnected');
    const failed = { ...connected, lastError: { at: NOW, where: 'realtime' as const, message: 'lost' } };
    assert.equal(feedIsLive({ ...input, state: failed }), false, 'the feed failed');
    const passFailed = { ...connected, lastError: { at: NOW, where: 'reconcile' as const, message: 'x' } };
    assert.equal(feedIsLive({ ...input, state: passFailed }), true, 'a failed pass does not stop the feed');
  });

  test('continues as new when suggested, after the pass bound, or near the history limit', () => {
    const base = {
      continueAsNewSuggested: false,
      passesThisRun: 3,
      maxPassesPerRun: 500,
      historyLength: 100,
    };
    assert.equal(shouldContinueAsNew(base), false);
    assert.equal(shouldContinueAsNew({ ...base, continueAsNewSuggested: true }), true);
    assert.equal(shouldContinueAsNew({ ...base, passesThisRun: 500 }), true);
    assert.equal(shouldContinueAsNew({ ...base, historyLength: 20_000 }), true);
  });
});

describe('realtime progress and status', () => {
  test('progress adds counts; the watermark is monotonic', () => {
    let state = initialState(settings, NOW);
    const progress = {
      connected: true,
      watermark: '2026-01-31T12:00:01.000Z',
      lagMs: 40,
      written: 3,
      skipped: 1,
      deleted: 2,
      reread: 0,
    };
    state = applyRealtimeProgress(state, progress, NOW);
    state = applyRealtimeProgress(
      state,
      { ...progress, watermark: '2026-01-31T11:00:00.000Z', written: 2 },
      NOW + 1,
    );
    assert.equal(state.counters.realtimeWritten, 5);
    assert.equal(state.counters.realtimeDeleted, 4);
    assert.equal(state.realtime.watermark, '2026-01-31T12:00:01.000Z');
    assert.equal(state.realtime.connected, true);
  });

  test('state names a user reads', () => {
    const state = initialState(settings, NOW);
    assert.equal(stateName(state, false), 'starting');
    assert.equal(stateName({ ...state, prepared: true }, false), 'copying');
    assert.equal(
      stateName({ ...state, prepared: true, initialCopy: { ...state.initialCopy, done: true } }, false),
      'running',
    );
    assert.equal(stateName({ ...state, prepared: true, paused: true }, false), 'paused');
    assert.equal(stateName({ ...state, prepared: true, consecutiveFailures: 2 }, false), 'failing');
    assert.equal(stateName(state, true), 'stopped');
  });

  test('lag: realtime lag when the feed is live, time since the last good pass otherwise', () => {
    let state = recordPass(initialState(settings, NOW), pass(), null);
    assert.equal(lagSeconds(state, false, NOW + 12_000), 12);
    state = applyRealtimeProgress(
      state,
      { connected: true, watermark: null, lagMs: 150, written: 0, skipped: 0, deleted: 0, reread: 0 },
      NOW,
    );
    assert.equal(lagSeconds(state, true, NOW + 12_000), 0.15);
    assert.equal(lagSeconds(initialState(settings, NOW), false, NOW), null);
  });

  test('status carries names, cursors and counts only', () => {
    const status = buildStatus(spec, settings, initialState(settings, NOW), false, NOW);
    assert.equal(status.table, 'public.orders');
    assert.equal(workflowIdFor(spec), 'table-sync:public.orders');
    assert.ok(JSON.stringify(status).length < 2000);
  });
});

const fresh = (): SyncState => initialState(settings, NOW);
const prepared = { versionColumn: 'updated_at', sourceRows: 1200, maxVersion: '2026-01-31T11:59:00+00:00' };

describe('phases', () => {
  test('preparing, then copying, then running; paused and stopping win over them', () => {
    const state = fresh();
    assert.equal(phaseOf(state, false), 'preparing');
    const ready = recordPrepared(state, prepared);
    assert.equal(phaseOf(ready, false), 'copying');
    const copied = { ...ready, initialCopy: { ...ready.initialCopy, done: true } };
    assert.equal(phaseOf(copied, false), 'running');
    assert.equal(phaseOf({ ...copied, paused: true }, false), 'paused');
    assert.equal(phaseOf({ ...state, paused: true }, false), 'paused', 'paused before it was prepared');
    assert.equal(phaseOf({ ...copied, paused: true }, true), 'stopping');
  });

  test('the state a user reads is the phase, or failing while passes or prepare fail', () => {
    const ready = { ...recordPrepared(fresh(), prepared) };
    assert.equal(stateName(fresh(), false), 'starting');
    assert.equal(stateName(ready, false), 'copying');
    assert.equal(stateName({ ...ready, consecutiveFailures: 2 }, false), 'failing');
    const notPrepared = { ...fresh(), lastError: { at: NOW, where: 'prepare' as const, message: 'x' } };
    assert.equal(stateName(notPrepared, false), 'failing');
    assert.equal(stateName({ ...notPrepared, paused: true }, false), 'paused');
    assert.equal(stateName({ ...ready, consecutiveFailures: 2 }, true), 'stopped');
  });
});

describe('preparing', () => {
  test('records the version column and the row count, and clears a prepare error and the failure streak', () => {
    const failing = {
      ...fresh(),
      consecutiveFailures: 3,
      lastError: { at: NOW, where: 'prepare' as const, message: 'table does not exist' },
    };
    const state = recordPrepared(failing, prepared);
    assert.equal(state.prepared, true);
    assert.equal(state.versionColumn, 'updated_at');
    assert.equal(state.initialCopy.total, 1200);
    assert.equal(state.consecutiveFailures, 0);
    assert.equal(state.lastError, null);
  });

  test('a whole-table copy resumes reconciliation from the newest version that existed when it began', () => {
    const state = recordPrepared(fresh(), prepared);
    assert.equal(state.initialCopy.from, prepared.maxVersion);
    // Prepared again later (new key columns, a worker restart): the copy's start stays as it was.
    const again = recordPrepared(state, {
      ...prepared,
      sourceRows: 5000,
      maxVersion: '2026-02-01T00:00:00+00:00',
    });
    assert.equal(again.initialCopy.from, prepared.maxVersion);
    assert.equal(again.initialCopy.total, 1200, 'the count of the copy in progress');
  });

  test('a windowed copy keeps its window start; another error than prepare is kept', () => {
    const windowed = { ...fresh(), initialCopy: planInitialCopy({ initialBackfillMs: 86_400_000 }, NOW) };
    const withRealtimeError = {
      ...windowed,
      lastError: { at: NOW, where: 'realtime' as const, message: 'channel error' },
    };
    const state = recordPrepared(withRealtimeError, prepared);
    assert.equal(state.initialCopy.from, windowed.initialCopy.from);
    assert.equal(state.lastError?.where, 'realtime');
  });

  test('a table without a version column is prepared too (every pass reads it whole)', () => {
    const state = recordPrepared(fresh(), { versionColumn: null, sourceRows: 3, maxVersion: null });
    assert.equal(state.versionColumn, null);
    assert.equal(state.prepared, true);
  });
});

describe('realtime enabled', () => {
  test('on for the table and the worker, in a workflow that keeps running', () => {
    assert.equal(realtimeEnabled(spec, settings), true);
    assert.equal(realtimeEnabled({ realtime: false }, settings), false);
    assert.equal(realtimeEnabled(spec, { ...settings, realtime: false }), false);
    assert.equal(realtimeEnabled(spec, { ...settings, loop: false }), false, 'a one-pass run has no feed');
  });

  test('status says the same as the workflow does', () => {
    const state = fresh();
    assert.equal(buildStatus(spec, settings, state, false, NOW).realtime.enabled, true);
    assert.equal(buildStatus(spec, { ...settings, loop: false }, state, false, NOW).realtime.enabled, false);
  });
});

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
    const blockedByDrift: SyncState = {
      ...initialState(settings, NOW),
      lastError: { at: NOW, where: 'reconcile', kind: 'schema', message: 'column note is not on the target' },
    };
    assert.equal(
      passBlocked(blockedByDrift, false),
      'the table cannot run a pass until it is fixed: column note is not on the target',
      'a table blocked by a schema error in a pass',
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
    const blocked: SyncState = {
      ...prepareFailed(),
      lastError: { at: NOW, where: 'prepare', kind: 'schema', message: 'drift' },
    };
    assert.equal(finalStateName(blocked), 'blocked');
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

  test('while copying, with copy progress on, each new count of a chunk is new; counts only, no keys', () => {
    const more = { ...status, initialCopy: { ...status.initialCopy, rowsCopied: 1042 } };
    assert.equal(memoSignature(more), memoSignature(status), 'without the patch: as before');
    assert.notEqual(memoSignature(more, true), memoSignature(status, true));
    const done = { ...more, initialCopy: { ...more.initialCopy, done: true } };
    assert.equal(
      memoSignature({ ...done, initialCopy: { ...done.initialCopy, rowsCopied: 5 } }, true),
      memoSignature(done, true),
      'a finished copy: not per count',
    );
    const memo = statusMemo(
      buildStatus(spec, settings, { ...state, initialCopy: more.initialCopy }, false, NOW),
      NOW,
    );
    assert.equal(memo.copyProgress?.copied, 1042);
    assert.equal(memo.copyProgress?.line, 'copying 1,042 rows');
    assert.doesNotMatch(JSON.stringify(memo), /"42"/, 'the key cursor stays out');
  });
});
