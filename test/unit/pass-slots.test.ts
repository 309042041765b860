import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PassSlots } from '../../src/activities/pass-slots.js';

/** A piece of work that ends when told to; records when it started. */
function gate(started: string[], name: string) {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { work: () => (started.push(name), done), open };
}

describe('reconciliation chunks one process runs at once', () => {
  test('at most `slots` run; the others start in the order they came as slots free', async () => {
    const slots = new PassSlots(2, 60_000);
    const started: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => gate(started, n));
    const runs = [a!, b!, c!, d!].map((g) => slots.run(g.work));
    await Promise.resolve();
    assert.deepEqual(started, ['a', 'b']);
    assert.deepEqual(slots.sizes, { running: 2, waiting: 2 });
    b!.open();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, ['a', 'b', 'c']);
    a!.open();
    c!.open();
    d!.open();
    await Promise.all(runs);
    assert.deepEqual(started, ['a', 'b', 'c', 'd']);
    assert.deepEqual(slots.sizes, { running: 0, waiting: 0 });
  });

  test('a slot is freed when the work fails', async () => {
    const slots = new PassSlots(1, 60_000);
    await assert.rejects(
      slots.run(() => Promise.reject(new Error('page refused'))),
      /page refused/,
    );
    assert.equal(await slots.run(() => Promise.resolve('next')), 'next');
  });

  test('a chunk that waited the longest allowed runs anyway (no start-to-close timeout)', async () => {
    const slots = new PassSlots(1, 30);
    const started: string[] = [];
    const a = gate(started, 'a');
    const first = slots.run(a.work);
    const second = slots.run(() => (started.push('b'), Promise.resolve()));
    await second;
    assert.deepEqual(started, ['a', 'b']);
    a.open();
    await first;
    assert.deepEqual(slots.sizes, { running: 0, waiting: 0 });
  });
});
