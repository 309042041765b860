import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PassSummary, SyncState } from '../../src/contracts/table-sync.js';
import { nextWaitMs } from '../../src/workflows/decisions.js';
import {
  FEED_HEARTBEAT_TIMEOUT_MS,
  feedHeartbeatTimeoutMs,
  isQuiet,
  QUIET_LIVE_FACTOR,
  QuietCadence,
  quietWaitMs,
} from '../../src/workflows/quiet-interval.js';

const settings = { intervalMs: 30_000, liveIntervalMs: 300_000 };
const pass: PassSummary = {
  kind: 'reconcile',
  startedAt: 0,
  finishedAt: 1,
  rowsRead: 3,
  written: 2,
  skipped: 1,
  deletesReplayed: 0,
  deleted: 0,
  ok: true,
};
type QuietState = Pick<SyncState, 'lastPass' | 'counters' | 'consecutiveFailures' | 'versionColumn'>;
function state(over: Partial<QuietState> = {}): QuietState {
  return {
    versionColumn: 'updated_at',
    consecutiveFailures: 0,
    lastPass: pass,
    counters: { realtimeHealed: 4 } as SyncState['counters'],
    ...over,
  };
}

describe('quiet live interval (idle cost)', () => {
  test('a live table whose gap checks healed nothing since its last pass is quiet', () => {
    assert.equal(isQuiet(state(), 4), true, 'rows written by the pass race the feed: still quiet');
    assert.equal(isQuiet(state({ counters: {} as SyncState['counters'] }), 0), true, 'no heal ever');
  });

  test('not quiet: a heal since the pass, a failed pass, failures, no pass yet, no version column', () => {
    assert.equal(isQuiet(state(), 3), false, 'the feed healed a change since the last pass');
    assert.equal(isQuiet(state({ lastPass: { ...pass, ok: false } }), 4), false);
    assert.equal(isQuiet(state({ consecutiveFailures: 1 }), 4), false);
    assert.equal(isQuiet(state({ lastPass: null }), 4), false);
    assert.equal(
      isQuiet(state({ versionColumn: null }), 4),
      false,
      'its gap checks cannot see a dropped update',
    );
  });

  test('a quiet live table waits QUIET_LIVE_FACTOR live intervals (30 min by default); otherwise unchanged', () => {
    const live = nextWaitMs(settings, 0, true);
    assert.equal(QUIET_LIVE_FACTOR * 300_000, 1_800_000);
    assert.equal(quietWaitMs(live, settings, true, true), 1_800_000);
    assert.equal(quietWaitMs(live, settings, true, false), 300_000, 'not quiet: the live interval');
    const notLive = nextWaitMs(settings, 0, false);
    assert.equal(quietWaitMs(notLive, settings, false, true), 30_000, 'not live: the interval');
  });

  test('no slower live cadence configured (0 or at most the interval): kept as it is', () => {
    const off = { intervalMs: 30_000, liveIntervalMs: 0 };
    assert.equal(quietWaitMs(nextWaitMs(off, 0, true), off, true, true), 30_000);
    const longer = { intervalMs: 600_000, liveIntervalMs: 300_000 };
    assert.equal(quietWaitMs(nextWaitMs(longer, 0, true), longer, true, true), 600_000);
  });

  test("the feed's heartbeat timeout: 5 minutes unless set", () => {
    assert.equal(FEED_HEARTBEAT_TIMEOUT_MS, 300_000);
    assert.equal(feedHeartbeatTimeoutMs({}), 300_000);
    assert.equal(feedHeartbeatTimeoutMs({ feedHeartbeatMs: 30_000 }), 30_000);
  });

  test('QuietCadence: quiet until the feed heals a gap, again after the next pass; off for older runs', () => {
    const s = state();
    const cadence = new QuietCadence(true, s);
    const live = nextWaitMs(settings, 0, true);
    assert.equal(cadence.waitMs(live, settings, true, s), 1_800_000);
    const healed = { ...s, counters: { realtimeHealed: 5 } as SyncState['counters'] };
    assert.equal(cadence.waitMs(live, settings, true, healed), 300_000, 'a heal since the last pass');
    cadence.passed(healed);
    assert.equal(cadence.waitMs(live, settings, true, healed), 1_800_000);
    const off = new QuietCadence(false, s);
    assert.equal(off.waitMs(live, settings, true, s), 300_000, 'a run recorded before the patch');
  });
});
