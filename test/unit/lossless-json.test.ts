/**
 * Lossless JSON numbers: REST responses rewritten so numbers a double cannot hold (or whose scale
 * it would drop) arrive as strings of the same digits; Realtime values checked for lost digits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mayBeImprecise, protectImpreciseNumbers } from '../../src/supabase/lossless-json.js';

describe('protectImpreciseNumbers', () => {
  test('numbers a double prints back exactly are left as numbers', () => {
    const json = '[{"id":1,"total":12.5,"n":-3,"big":9007199254740991,"e":1e+21}]';
    assert.equal(protectImpreciseNumbers(json), json);
  });

  test('int8 beyond 2^53 and numeric with more digits than a double become strings of the same digits', () => {
    const json = '[{"id":9007199254740993,"amount":12345678901234567890.1234567891}]';
    const parsed = JSON.parse(protectImpreciseNumbers(json)) as Array<Record<string, unknown>>;
    assert.deepEqual(parsed, [{ id: '9007199254740993', amount: '12345678901234567890.1234567891' }]);
  });

  test('a scale an unconstrained numeric keeps (1.50, 2.0) survives as text', () => {
    const parsed = JSON.parse(protectImpreciseNumbers('[{"a":1.50,"b":2.0,"c":-0.10}]')) as unknown[];
    assert.deepEqual(parsed, [{ a: '1.50', b: '2.0', c: '-0.10' }]);
  });

  test('numbers inside json/jsonb values and inside strings are not touched', () => {
    const json =
      '[{"doc":{"price":1.50,"ids":[9007199254740993]},"tags":[1.50],"note":"1.50 and 9007199254740993"}]';
    assert.equal(protectImpreciseNumbers(json), json);
  });

  test('strings with escaped quotes do not confuse the scan', () => {
    const json = '[{"s":"a \\"quoted\\" 1.50","n":1.50}]';
    assert.deepEqual(JSON.parse(protectImpreciseNumbers(json)), [{ s: 'a "quoted" 1.50', n: '1.50' }]);
  });

  test('only an array of rows is rewritten (an object, an error body, stays as it is)', () => {
    const body = '{"code":"22003","value":1.50}';
    assert.equal(protectImpreciseNumbers(body), body);
    assert.equal(protectImpreciseNumbers('[]'), '[]');
  });

  test('every row of a page is rewritten, not only the first', () => {
    const parsed = JSON.parse(protectImpreciseNumbers('[{"a":1.10},{"a":2},{"a":3.30}]')) as unknown[];
    assert.deepEqual(parsed, [{ a: '1.10' }, { a: 2 }, { a: '3.30' }]);
  });
});

describe('mayBeImprecise', () => {
  test('safe integers and short decimals are exact', () => {
    for (const value of [0, 1, -42, 9007199254740991, 12.5, 0.1, 123456.789]) {
      assert.equal(mayBeImprecise(value), false, String(value));
    }
  });

  test('integers beyond 2^53 and values with 16 or more significant digits may have lost digits', () => {
    assert.equal(mayBeImprecise(9007199254740993), true);
    assert.equal(mayBeImprecise(-9007199254740993), true);
    assert.equal(mayBeImprecise(1234567890.123456), true);
    assert.equal(mayBeImprecise(0.1 + 0.2), true);
  });

  test('anything but a finite number is not a number that lost digits', () => {
    for (const value of ['9007199254740993', null, undefined, true, Infinity, Number.NaN, { a: 1 }]) {
      assert.equal(mayBeImprecise(value), false, JSON.stringify(value) ?? 'undefined');
    }
  });
});
