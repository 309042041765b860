/** A row's key as values (page cursors) and as text (matching the same key from REST, the ledger or Realtime). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyOnly, keyText, keyValues } from '../../src/core/keys.js';

test('keyValues: the key columns in primary-key order; a missing one is null', () => {
  assert.deepEqual(keyValues(['tenant', 'id'], { id: 7, tenant: 'a', note: 'x' }), ['a', 7]);
  assert.deepEqual(keyValues(['id'], {}), [null]);
});

test('keyText: the same key from a REST row and from the ledger jsonb is one text', () => {
  assert.equal(keyText(['id'], { id: 42, note: 'x' }), keyText(['id'], { id: '42' }));
  assert.equal(
    keyText(['flag', 'n'], { flag: true, n: 1 }),
    keyText(['flag', 'n'], { flag: 'true', n: '1' }),
  );
  assert.equal(keyText(['id'], { id: 10n }), keyText(['id'], { id: 10 }));
});

test('keyText: different keys never collide, key order matters', () => {
  assert.notEqual(keyText(['a', 'b'], { a: 'x', b: 'y' }), keyText(['a', 'b'], { a: 'y', b: 'x' }));
  assert.notEqual(keyText(['a', 'b'], { a: 'x,y', b: '' }), keyText(['a', 'b'], { a: 'x', b: 'y' }));
  assert.notEqual(keyText(['id'], { id: null }), keyText(['id'], { id: 'null' }));
});

test('keyOnly: just the key columns, or undefined when one is missing', () => {
  assert.deepEqual(keyOnly(['tenant', 'id'], { tenant: 'a', id: 1, note: 'x' }), { tenant: 'a', id: 1 });
  assert.equal(keyOnly(['tenant', 'id'], { tenant: 'a' }), undefined);
  assert.equal(keyOnly(['id'], undefined), undefined);
  assert.deepEqual(keyOnly(['id'], { id: null }), { id: null }, 'a NULL key value is a value');
});
