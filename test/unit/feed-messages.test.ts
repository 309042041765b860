import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  initialState,
  keyColumnsChanged,
  recordFeedWorkerLost,
  recordSubscribed,
} from '../../src/workflows/decisions.js';

import { NOW, settings, spec as orders } from './table-fixtures.js';

describe("the feed's messages in the table's state", () => {
  test('a subscription connects the table, counts, names its worker and clears a realtime error only', () => {
    const lost = {
      ...initialState(settings, NOW),
      lastError: { at: NOW, where: 'realtime' as const, message: 'socket closed' },
    };
    const state = recordSubscribed(lost, 'host/12/ab');
    assert.equal(state.realtime.connected, true);
    assert.equal(state.realtime.subscriptions, lost.realtime.subscriptions + 1);
    assert.equal(state.realtime.worker, 'host/12/ab');
    assert.equal(state.lastError, null);

    const failedPass = { ...lost, lastError: { at: NOW, where: 'reconcile' as const, message: 'timeout' } };
    const kept = recordSubscribed(failedPass);
    assert.equal(kept.lastError?.message, 'timeout');
    assert.equal(kept.realtime.worker, failedPass.realtime.worker);
  });

  test('a lost worker leaves the table unconnected, with the reason a user reads', () => {
    const live = recordSubscribed(initialState(settings, NOW), 'host/12/ab');
    const state = recordFeedWorkerLost(live);
    assert.equal(state.realtime.connected, false);
    assert.equal(state.realtime.worker, null);
    assert.equal(state.realtime.lostReason, 'its worker stopped');
    assert.equal(state.realtime.subscriptions, live.realtime.subscriptions);
  });

  test('only new key or version columns count as a change of keys', () => {
    assert.equal(keyColumnsChanged(orders, { ...orders, realtime: false, reconcile: false }), false);
    assert.equal(keyColumnsChanged(orders, { ...orders, primaryKeys: ['id', 'tenant_id'] }), true);
    assert.equal(keyColumnsChanged(orders, { ...orders, incrementalFields: ['modified_at'] }), true);
  });
});
