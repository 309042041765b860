/**
 * The worker's stop signal lives as long as the process; the Temporal client adds an `abort`
 * listener to the signal it is given for each gRPC call and never removes it. withStopSignal gives
 * the calls a signal of their own: the stop signal keeps no listener and Node warns of no leak.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import type { Client } from '@temporalio/client';
import { withStopSignal } from '../../src/temporal/abort-scope.js';

/** As the SDK's connection does: one listener per call, never removed. */
function fakeClient(calls: number, seen: AbortSignal[]): Client {
  return {
    async withAbortSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
      seen.push(signal);
      for (let i = 0; i < calls; i++) signal.addEventListener('abort', () => {});
      return fn();
    },
  } as unknown as Client;
}

test('many calls under the stop signal: no listener left on it, no leak warning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  const stop = new AbortController();
  const seen: AbortSignal[] = [];
  for (let round = 0; round < 5; round++)
    assert.equal(
      await withStopSignal(fakeClient(12, seen), stop.signal, () => Promise.resolve(round)),
      round,
    );
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  assert.deepEqual(warnings, []);
});

test('a stop while the calls run aborts their signal; one already given aborts it at once', async () => {
  const stop = new AbortController();
  const seen: AbortSignal[] = [];
  await withStopSignal(fakeClient(1, seen), stop.signal, () => {
    stop.abort();
    return Promise.resolve(assert.equal(seen[0]!.aborted, true));
  });
  await withStopSignal(fakeClient(1, seen), stop.signal, () =>
    Promise.resolve(assert.equal(seen[1]!.aborted, true)),
  );
});
