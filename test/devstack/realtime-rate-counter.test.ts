/**
 * The hosted rate counter the local Realtime's quotas use (no server needed): a limit triggers at
 * a tick whose average reaches it and holds until the average over the kept ticks falls below;
 * a quiet bucket starts afresh; the plans carry the documented figures.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePlan, PLANS } from '../../devstack/realtime/plans.js';
import { RateCounter } from '../../devstack/realtime/rate-counter.js';
import { waitFor } from '../support/wait.js';

const TICK_MS = 40;

describe('rate counter and plans', () => {
  test('triggers at the tick after a burst, releases once the average over kept ticks is under the limit', async () => {
    const counter = new RateCounter(10, TICK_MS);
    try {
      counter.add(5); // 5 in one 40 ms tick: 125/s
      assert.equal(counter.triggered, false, 'nothing changes before a tick');
      await waitFor(() => counter.triggered, { timeoutMs: 2000, intervalMs: 5 });
      assert.ok(counter.average >= 10, `average ${counter.average}/s`);
      // Averaged over ticks: 5 / n / 0.04 s falls below 10/s only after 13 ticks, but 12 are kept
      // (the burst leaves the bucket): released, and the quiet bucket starts afresh.
      await waitFor(() => !counter.triggered, { timeoutMs: 5000, intervalMs: 5 });
      assert.equal(counter.average, 0);
      counter.add(1); // 25/s on its own tick: a fresh bucket does not dilute it with the quiet ones
      await waitFor(() => counter.triggered, { timeoutMs: 2000, intervalMs: 5 });
    } finally {
      counter.close();
    }
  });

  test('plans: free, pro and team as documented; anything else is refused naming the choices', () => {
    assert.deepEqual(
      Object.values(PLANS).map((p) => [
        p.name,
        p.messagesPerSecond,
        p.concurrentClients,
        p.joinsPerSecond,
        p.channelsPerConnection,
      ]),
      [
        ['free', 100, 200, 100, 100],
        ['pro', 500, 500, 500, 100],
        ['team', 2500, 10_000, 2500, 100],
      ],
    );
    assert.equal(parsePlan(undefined, 'X').name, 'free');
    assert.throws(() => parsePlan('gold', 'TEST_REALTIME_PLAN'), {
      message: 'TEST_REALTIME_PLAN: unknown Realtime plan "gold"; use one of free, pro, team',
    });
  });
});
