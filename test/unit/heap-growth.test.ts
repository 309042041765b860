import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '../../src/temporal/heap-growth.js';

describe("the worker's heap growth", () => {
  test('set at start-up unless the user gave one', () => {
    assert.equal(heapGrowthFlag([], ''), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    assert.equal(
      heapGrowthFlag(['--max-old-space-size=512'], '--enable-source-maps'),
      '--heap-growing-percent=30',
    );
    assert.equal(heapGrowthFlag([], '--heap-growing-percent=80'), null);
    assert.equal(heapGrowthFlag(['--heap_growing_percent=50'], ''), null);
  });
});
