/**
 * Realtime changes coalesced into micro-batches: the last change per key wins, commit order is kept,
 * a key change deletes the old key, and what cannot be written as it arrived is re-read by key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coalesce } from '../../src/activities/realtime-batch.js';
import type { ChangeEvent, Row } from '../../src/contracts/ports.js';

const ref = { schema: 'public', table: 'orders', primaryKeys: ['id'] };
let clock = 0;
const at = () => `2026-01-31T12:00:${String(clock++ % 60).padStart(2, '0')}+00:00`;

function change(type: ChangeEvent['type'], record?: Row, oldRecord?: Row, errors?: string[]): ChangeEvent {
  return { type, commitTimestamp: at(), record, oldRecord, errors: errors ?? null };
}

describe('coalesce', () => {
  test('the last change to a key wins; keys keep the order of their last change', () => {
    const events = [
      change('INSERT', { id: 1, status: 'new' }),
      change('INSERT', { id: 2, status: 'new' }),
      change('UPDATE', { id: 1, status: 'paid' }, { id: 1 }),
    ];
    const batch = coalesce(ref, events);
    assert.deepEqual(
      batch.upserts.map((r) => [r.id, r.status]),
      [
        [2, 'new'],
        [1, 'paid'],
      ],
    );
    assert.equal(batch.upserts[1]!._sync_commit_at, events[2]!.commitTimestamp, 'carries its commit time');
    assert.deepEqual(batch.deletes, []);
    assert.equal(batch.maxCommit, events[2]!.commitTimestamp);
  });

  test('an insert then a delete of the same key is one delete, with the delete time', () => {
    const events = [change('INSERT', { id: 5, status: 'new' }), change('DELETE', undefined, { id: 5 })];
    const batch = coalesce(ref, events);
    assert.deepEqual(batch.upserts, []);
    assert.deepEqual(batch.deletes, [{ id: 5, _deleted_at: events[1]!.commitTimestamp }]);
  });

  test('a delete then a re-insert of the same key is one upsert', () => {
    const batch = coalesce(ref, [
      change('DELETE', undefined, { id: 5 }),
      change('INSERT', { id: 5, status: 'again' }),
    ]);
    assert.deepEqual(
      batch.upserts.map((r) => r.status),
      ['again'],
    );
    assert.deepEqual(batch.deletes, []);
  });

  test('an update that changes the key deletes the old key and writes the new one', () => {
    const event = change('UPDATE', { id: 8, status: 'moved' }, { id: 7 });
    const batch = coalesce(ref, [event]);
    assert.deepEqual(batch.deletes, [{ id: 7, _deleted_at: event.commitTimestamp }]);
    assert.deepEqual(
      batch.upserts.map((r) => r.id),
      [8],
    );
  });

  test('composite keys: rows differing in one key column are different keys', () => {
    const composite = { ...ref, primaryKeys: ['tenant', 'line'] };
    const batch = coalesce(composite, [
      change('INSERT', { tenant: 'a', line: 1, qty: 1 }),
      change('INSERT', { tenant: 'b', line: 1, qty: 2 }),
      change('UPDATE', { tenant: 'a', line: 1, qty: 3 }, { tenant: 'a', line: 1 }),
    ]);
    assert.deepEqual(
      batch.upserts.map((r) => [r.tenant, r.qty]),
      [
        ['b', 2],
        ['a', 3],
      ],
    );
  });

  test('an errored payload (truncated over ~1 MB) is re-read by key, not written', () => {
    const batch = coalesce(ref, [change('UPDATE', { id: 3 }, { id: 3 }, ['Error 413: Payload too large'])]);
    assert.deepEqual(batch.upserts, []);
    assert.deepEqual(batch.reread, [{ id: 3 }]);
  });

  test('an UPDATE without some columns (unchanged TOAST values) is re-read; an INSERT is written', () => {
    const columns = new Set(['id', 'status', 'big_doc']);
    const batch = coalesce(
      ref,
      [change('UPDATE', { id: 1, status: 'paid' }, { id: 1 }), change('INSERT', { id: 2, status: 'new' })],
      columns,
    );
    assert.deepEqual(batch.reread, [{ id: 1 }]);
    assert.deepEqual(
      batch.upserts.map((r) => r.id),
      [2],
    );
  });

  test('a value in a numeric column without a declared scale is re-read (JSON dropped its scale)', () => {
    const batch = coalesce(
      ref,
      [change('INSERT', { id: 1, amount: 1.5 }), change('INSERT', { id: 2, amount: null })],
      undefined,
      new Set(['amount']),
    );
    assert.deepEqual(batch.reread, [{ id: 1 }]);
    assert.deepEqual(
      batch.upserts.map((r) => r.id),
      [2],
      'a NULL lost nothing',
    );
  });

  test('a change without its key columns (an old record cut short) is skipped, not guessed', () => {
    const batch = coalesce(ref, [
      change('DELETE', undefined, { other: 1 }),
      change('INSERT', { status: 'x' }),
    ]);
    assert.deepEqual([batch.upserts, batch.deletes, batch.reread], [[], [], []]);
  });

  test('the newest commit time of the batch is its watermark, whatever the order of arrival', () => {
    const late = { ...change('INSERT', { id: 1 }), commitTimestamp: '2026-01-31T13:00:00+00:00' };
    const early = { ...change('INSERT', { id: 2 }), commitTimestamp: '2026-01-31T12:00:00+00:00' };
    assert.equal(coalesce(ref, [late, early]).maxCommit, '2026-01-31T13:00:00+00:00');
    assert.equal(coalesce(ref, []).maxCommit, null);
  });
});
