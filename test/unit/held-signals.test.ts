import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RealtimeProgress, SyncSettings } from '../../src/contracts/table-sync.js';
import { HeldSignals } from '../../src/temporal/held-signals.js';
import { applyRealtimeProgress, initialState, recordSubscribed } from '../../src/workflows/decisions.js';
import { createLogger } from '../../src/engine/logger.js';
import { LogCapture } from '../support/sync.js';

const progress = (connected: boolean, worker?: string): RealtimeProgress => ({
  connected,
  watermark: null,
  lagMs: null,
  written: 1,
  skipped: 0,
  deleted: 0,
  reread: 0,
  ...(worker ? { worker } : {}),
});

describe('signals held while the worker stops', () => {
  test('sent at once while running; held while stopping and sent in order on release', async () => {
    let stopping = false;
    const sent: string[] = [];
    const held = new HeldSignals(() => stopping, createLogger('warn', new LogCapture()));
    const notify = held.wrap({
      realtimeProgress: (id, p) => {
        sent.push(`${id}:${p.connected}`);
        return Promise.resolve();
      },
      realtimeSubscribed: (id) => {
        sent.push(`${id}:subscribed`);
        return Promise.resolve();
      },
    });
    await notify.realtimeProgress('a', progress(true));
    await notify.realtimeSubscribed('a', 'now');
    assert.deepEqual(sent, ['a:true', 'a:subscribed']);
    stopping = true;
    await notify.realtimeProgress('a', progress(true));
    await notify.realtimeSubscribed('b', 'now'); // dropped: that feed is ending
    await notify.realtimeProgress('b', progress(false));
    assert.equal(sent.length, 2, 'nothing goes out while the worker stops');
    const released: string[] = [];
    await held.release((id, p) => {
      released.push(`${id}:${p.connected}`);
      return Promise.reject(new Error('gone')); // a failure is logged, the rest still goes
    });
    assert.deepEqual(released, ['a:true', 'b:false']);
    await held.release(() => Promise.reject(new Error('nothing left to send')));
  });

  test('a late disconnect from another worker leaves the table connected; its counts count', () => {
    const settings = { realtime: true } as SyncSettings;
    let state = recordSubscribed(initialState(settings, 0), 'host/2/new');
    state = applyRealtimeProgress(state, progress(false, 'host/1/old'), 1);
    assert.equal(state.realtime.connected, true);
    assert.equal(state.counters.realtimeWritten, 1);
    state = applyRealtimeProgress(state, progress(false, 'host/2/new'), 2);
    assert.equal(state.realtime.connected, false, "the feed's own worker disconnects it");
    state = recordSubscribed(state, 'host/2/new');
    state = applyRealtimeProgress(state, progress(false), 3);
    assert.equal(
      state.realtime.connected,
      false,
      'a report without a worker (older feeds) applies as before',
    );
  });
});
