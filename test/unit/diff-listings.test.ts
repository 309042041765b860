/** verify's last step: the keys and row checksums of one small range on both sides, compared. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffListings } from '../../src/activities/verify-ranges.js';

const row = (key: string[], hash: string) => ({ key, hash });

test('equal listings: no differences', () => {
  const side = [row(['1'], 'a'), row(['2'], 'b')];
  assert.deepEqual(diffListings(side, side), { missing: [], extra: [], different: [] });
});

test('missing on the target, extra on the target, and different checksums are told apart', () => {
  const source = [row(['1'], 'a'), row(['2'], 'b'), row(['3'], 'c')];
  const target = [row(['2'], 'B'), row(['3'], 'c'), row(['4'], 'd')];
  assert.deepEqual(diffListings(source, target), {
    missing: [['1']],
    extra: [['4']],
    different: [['2']],
  });
});

test('composite keys compare as whole keys, in key order as listed', () => {
  const source = [row(['t1', '1'], 'a'), row(['t1', '2'], 'b')];
  const target = [row(['t1', '2'], 'b'), row(['t2', '1'], 'a')];
  assert.deepEqual(diffListings(source, target), {
    missing: [['t1', '1']],
    extra: [['t2', '1']],
    different: [],
  });
});

test('an empty side: everything is missing, or everything is extra', () => {
  const rows = [row(['1'], 'a'), row(['2'], 'b')];
  assert.deepEqual(diffListings(rows, []).missing, [['1'], ['2']]);
  assert.deepEqual(diffListings([], rows).extra, [['1'], ['2']]);
});
