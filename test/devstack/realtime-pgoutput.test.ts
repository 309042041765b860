/**
 * The pgoutput parser and the frame `data` built from it, on messages captured from PostgreSQL 17
 * (`pg_logical_slot_get_binary_changes(..., 'proto_version', '1', ...)`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePgOutput, changeRelationId, type RelationMessage } from '../../devstack/realtime/pgoutput.js';
import {
  formatCommitTimestamp,
  renderData,
  shapeChange,
  type ChangeShape,
  type RowChange,
} from '../../devstack/realtime/records.js';

const hex = (h: string) => Buffer.from(h, 'hex');

// items(id int8 primary key, body text, n numeric, j jsonb, a int[], ts timestamptz, big text)
const ITEMS = {
  begin: '4200000000014e69b80003040942ac3ccd000002e7',
  relation:
    '52000040147075626c6963006974656d73006400070169640000000014ffffffff00626f64790000000019ffffffff006e0000' +
    '0006a4ffffffff006a0000000edaffffffff006100000003efffffffff00747300000004a0ffffffff006269670000000019ffffffff',
  insert:
    '49000040144e0007740000000131740000000668c3a96c6c6f7400000004312e353074000000087b2261223a20317d7400000005' +
    '7b312c327d740000001d323032342d30352d30312031303a30303a30302e3132333435362b30306e',
  commit: '430000000000014e69b800000000014e69e80003040942ac3ccd',
  /** update items set id = 2 where id = 1: old key ('K') then new tuple. */
  updateKey:
    '55000040144b00077400000001316e6e6e6e6e6e4e00077400000001327400000001787400000004312e353074000000087b2261' +
    '223a20317d74000000057b312c327d740000001d323032342d30352d30312031303a30303a30302e3132333435362b30306e',
  deleteKey: '44000040144b00077400000001326e6e6e6e6e6e',
};
// f(id int primary key, v text) with REPLICA IDENTITY FULL; t(id int primary key, n int, big text)
const FULL = {
  relation: '52000040147075626c69630066006600020169640000000017ffffffff01760000000019ffffffff',
  update: '55000040144f00027400000001317400000001614e0002740000000131740000000162',
};
const TOAST = {
  relation:
    '520000401b7075626c69630074006400030169640000000017ffffffff006e0000000017ffffffff006269670000000019ffffffff',
  /** update t set n = 2: the big TOASTed value is unchanged ('u'). */
  update: '550000401b4e000374000000013174000000013275',
};

function relation(h: string): RelationMessage {
  const m = parsePgOutput(hex(h));
  if (m.tag !== 'relation') throw new Error(`expected a Relation message, got ${m.tag}`);
  return m;
}

void test('Begin and Commit carry the commit time (µs since the Unix epoch)', () => {
  const begin = parsePgOutput(hex(ITEMS.begin));
  const commit = parsePgOutput(hex(ITEMS.commit));
  assert.equal(begin.tag, 'begin');
  assert.equal(commit.tag, 'commit');
  if (begin.tag !== 'begin' || commit.tag !== 'commit') return;
  assert.equal(begin.xid, 743);
  assert.equal(begin.commitTimeUs, commit.commitTimeUs);
  assert.equal(commit.commitLsn, begin.finalLsn);
  assert.equal(formatCommitTimestamp(begin.commitTimeUs), '2026-11-24T19:12:29.932Z');
});

void test('Relation lists columns in attnum order with type oids and key flags', () => {
  const rel = relation(ITEMS.relation);
  assert.equal(rel.schema, 'public');
  assert.equal(rel.table, 'items');
  assert.equal(rel.replicaIdentity, 'd');
  assert.deepEqual(
    rel.columns.map((c) => [c.name, c.typeOid, c.isKey]),
    [
      ['id', 20, true],
      ['body', 25, false],
      ['n', 1700, false],
      ['j', 3802, false],
      ['a', 1007, false],
      ['ts', 1184, false],
      ['big', 25, false],
    ],
  );
  assert.equal(relation(FULL.relation).replicaIdentity, 'f');
  assert.ok(relation(FULL.relation).columns.every((c) => c.isKey));
});

void test('Insert, Update with old key, Delete and unchanged TOAST decode', () => {
  assert.equal(changeRelationId(hex(ITEMS.insert)), 16404);
  assert.equal(changeRelationId(hex(ITEMS.begin)), undefined);
  const insert = parsePgOutput(hex(ITEMS.insert));
  assert.equal(insert.tag, 'insert');
  if (insert.tag === 'insert') {
    assert.deepEqual(insert.newTuple.slice(0, 2), [
      { kind: 'text', text: '1' },
      { kind: 'text', text: 'héllo' },
    ]);
    assert.deepEqual(insert.newTuple[6], { kind: 'null' });
  }
  const update = parsePgOutput(hex(ITEMS.updateKey));
  assert.ok(update.tag === 'update' && update.oldKind === 'K' && update.oldTuple?.[0]?.kind === 'text');
  const del = parsePgOutput(hex(ITEMS.deleteKey));
  assert.ok(del.tag === 'delete' && del.oldKind === 'K');
  const toast = parsePgOutput(hex(TOAST.update));
  assert.ok(toast.tag === 'update' && toast.oldKind === null);
  if (toast.tag === 'update') assert.deepEqual(toast.newTuple[2], { kind: 'unchanged' });
});

/** Stands in for `realtime.cast`: JSON text of the decoded value (enough for text/int columns). */
function fakeCast(shape: ChangeShape): ChangeShape {
  for (const f of [...(shape.record ?? []), ...(shape.oldRecord ?? [])]) {
    f.json = f.text === null ? 'null' : /^-?\d+$/.test(f.text) ? f.text : JSON.stringify(f.text);
  }
  return shape;
}

function change(relHex: string, msgHex: string): RowChange {
  const rel = relation(relHex);
  const m = parsePgOutput(hex(msgHex));
  if (m.tag !== 'insert' && m.tag !== 'update' && m.tag !== 'delete') throw new Error('not a change');
  return {
    type: m.tag === 'insert' ? 'INSERT' : m.tag === 'update' ? 'UPDATE' : 'DELETE',
    relation: rel,
    commitTimestamp: '2024-05-01T10:00:00.123Z',
    newTuple: m.tag === 'delete' ? null : m.newTuple,
    oldKind: m.tag === 'insert' ? null : m.oldKind,
    oldTuple: m.tag === 'insert' ? null : m.oldTuple,
  };
}

const TYPES = new Map([
  [20, 'int8'],
  [23, 'int4'],
  [25, 'text'],
  [1700, 'numeric'],
  [3802, 'jsonb'],
  [1007, '_int4'],
  [1184, 'timestamptz'],
]);

void test('data: INSERT has record and no old_record; DELETE has old_record (key) and no record', () => {
  const insert = JSON.parse(
    renderData(fakeCast(shapeChange(change(ITEMS.relation, ITEMS.insert))), TYPES),
  ) as Record<string, unknown>;
  assert.deepEqual(Object.keys(insert), [
    'columns',
    'commit_timestamp',
    'errors',
    'record',
    'schema',
    'table',
    'type',
  ]);
  assert.equal(insert.type, 'INSERT');
  assert.equal(insert.errors, null);
  assert.deepEqual(
    (insert.columns as { type: string }[]).map((c) => c.type),
    ['int8', 'text', 'numeric', 'jsonb', '_int4', 'timestamptz', 'text'],
  );
  assert.equal((insert.record as Record<string, unknown>).big, null);

  const del = JSON.parse(
    renderData(fakeCast(shapeChange(change(ITEMS.relation, ITEMS.deleteKey))), TYPES),
  ) as Record<string, unknown>;
  assert.deepEqual(Object.keys(del), [
    'columns',
    'commit_timestamp',
    'errors',
    'old_record',
    'schema',
    'table',
    'type',
  ]);
  assert.deepEqual(del.old_record, { id: 2 });
});

void test('data: UPDATE old_record follows the replica identity; unchanged TOAST is left out', () => {
  const moved = JSON.parse(
    renderData(fakeCast(shapeChange(change(ITEMS.relation, ITEMS.updateKey))), TYPES),
  ) as {
    old_record: unknown;
    record: { id: number };
  };
  assert.deepEqual(moved.old_record, { id: 1 });
  assert.equal(moved.record.id, 2);

  const full = JSON.parse(renderData(fakeCast(shapeChange(change(FULL.relation, FULL.update))), TYPES)) as {
    old_record: unknown;
    record: unknown;
  };
  assert.deepEqual(full.old_record, { id: 1, v: 'a' });
  assert.deepEqual(full.record, { id: 1, v: 'b' });

  const toast = JSON.parse(
    renderData(fakeCast(shapeChange(change(TOAST.relation, TOAST.update))), TYPES),
  ) as {
    old_record: unknown;
    record: unknown;
  };
  assert.deepEqual(toast.record, { id: 1, n: 2 });
  assert.deepEqual(toast.old_record, { id: 1 }, 'key taken from the new tuple');
});

void test('data: over 1 MB keeps only fields of 64 bytes or less and says 413', () => {
  const rel = relation(TOAST.relation);
  const big = 'x'.repeat(1_100_000);
  const shape = shapeChange({
    type: 'INSERT',
    relation: rel,
    commitTimestamp: '2024-05-01T10:00:00.123Z',
    newTuple: [{ kind: 'text', text: '1' }, { kind: 'null' }, { kind: 'text', text: big }],
    oldKind: null,
    oldTuple: null,
  });
  const data = JSON.parse(renderData(fakeCast(shape), TYPES)) as { errors: unknown; record: unknown };
  assert.deepEqual(data.errors, ['Error 413: Payload Too Large']);
  assert.deepEqual(data.record, { id: 1 });
});
