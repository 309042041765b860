/**
 * FeedControlRegistry: how a workflow's feedControl sink reaches the realtime feed running in the
 * same worker process, and how a stale feed (an older attempt or run) is stopped there.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FeedControlRegistry } from '../../src/temporal/feed-control.js';

const ref = (workflowId: string, generation: string, namespace = 'default') => ({
  namespace,
  workflowId,
  generation,
});

function feed(registry: FeedControlRegistry, workflowId: string, generation: string, namespace?: string) {
  const stops: string[] = [];
  const unlisten = registry.listen(ref(workflowId, generation, namespace), (reason) => stops.push(reason));
  return { stops, unlisten };
}

describe('FeedControlRegistry', () => {
  test('a release stops the feed of that generation, and only it', () => {
    const registry = new FeedControlRegistry();
    const a = feed(registry, 'table-sync:public.a', 'run1/1');
    const b = feed(registry, 'table-sync:public.b', 'run9/1');
    assert.equal(registry.release(ref('table-sync:public.a', 'run1/2')), false, 'another generation');
    assert.deepEqual(a.stops, []);
    assert.equal(registry.release(ref('table-sync:public.a', 'run1/1')), true);
    assert.deepEqual(a.stops, ['released by the workflow']);
    assert.deepEqual(b.stops, [], 'another workflow is left alone');
    assert.equal(registry.running, 1);
    a.unlisten(); // the stopped feed ends: nothing else changes
    assert.equal(registry.running, 1);
    b.unlisten();
    assert.equal(registry.running, 0);
  });

  test('a release that arrives before the attempt listens stops it as soon as it does', () => {
    const registry = new FeedControlRegistry();
    assert.equal(registry.release(ref('wf', 'run1/3')), false);
    const late = feed(registry, 'wf', 'run1/3');
    assert.deepEqual(late.stops, ['released by the workflow before it started']);
    assert.equal(registry.running, 0);
    // The workflow's next generation is not affected.
    const next = feed(registry, 'wf', 'run1/4');
    assert.deepEqual(next.stops, []);
  });

  test('releases are remembered for ten minutes, not forever', () => {
    let now = 0;
    const registry = new FeedControlRegistry(() => now);
    registry.release(ref('wf', 'old/1'));
    now = 11 * 60_000;
    registry.release(ref('wf', 'other/1')); // prunes what is older than ten minutes
    assert.deepEqual(feed(registry, 'wf', 'old/1').stops, []);
  });

  test('a newer feed of the same workflow stops an older one still running here (a stale attempt or run)', () => {
    const registry = new FeedControlRegistry();
    // Attempt 1 of generation run1/1 lost its heartbeats; Temporal started attempt 2 in this process.
    const stale = feed(registry, 'wf', 'run1/1');
    const retry = feed(registry, 'wf', 'run1/1');
    assert.equal(stale.stops.length, 1);
    assert.match(stale.stops[0]!, /newer feed of this workflow/);
    assert.deepEqual(retry.stops, []);
    // The stale attempt ending does not unregister the current one.
    stale.unlisten();
    assert.equal(registry.running, 1);
    // After continue-as-new: the new run's feed supersedes one of the old run left behind.
    const renewed = feed(registry, 'wf', 'run2/1');
    assert.equal(retry.stops.length, 1);
    assert.equal(registry.release(ref('wf', 'run2/1')), true);
    assert.deepEqual(renewed.stops, ['released by the workflow']);
  });

  test('the same workflow id in another namespace is another workflow', () => {
    const registry = new FeedControlRegistry();
    const here = feed(registry, 'wf', 'a/1', 'default');
    const there = feed(registry, 'wf', 'b/1', 'other');
    assert.deepEqual([here.stops, there.stops], [[], []]);
    assert.equal(registry.release(ref('wf', 'a/1', 'other')), false);
    assert.deepEqual(here.stops, []);
  });
});
