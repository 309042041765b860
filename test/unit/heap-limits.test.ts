import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HEAP_GROWING_PERCENT, SEMI_SPACE_MB, heapFlags } from '../../bin/heap-limits.mjs';

const growth = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
const young = ['--semi-space-growth-factor=1', `--max-semi-space-size=${SEMI_SPACE_MB}`];

describe("the worker's heap limits", () => {
  test('set at start-up unless the user gave one', () => {
    assert.deepEqual(heapFlags([], ''), [growth, ...young]);
    assert.deepEqual(heapFlags(['--max-old-space-size=512'], '--enable-source-maps'), [growth, ...young]);
    assert.deepEqual(heapFlags([], '--heap-growing-percent=80'), young);
    assert.deepEqual(heapFlags(['--heap_growing_percent=50'], ''), young);
  });

  test("the young generation's left alone when the user sized it", () => {
    assert.deepEqual(heapFlags(['--max-semi-space-size=8'], ''), [growth]);
    assert.deepEqual(heapFlags([], '--max_semi_space_size=4 --heap-growing-percent=50'), []);
    assert.deepEqual(heapFlags(['--min-semi-space-size=2'], ''), [growth]);
    assert.deepEqual(heapFlags([], '--semi-space-growth-factor=2'), [growth]);
  });
});
