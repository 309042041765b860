/**
 * The direct copy's pure parts: a segment's key ranges (src/core/key-ranges.ts) and the SQL text
 * of its statements (src/supabase/direct-sql.ts: literals, since COPY takes no parameters).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CopyPlan } from '../../src/contracts/direct-ports.js';
import { isSegment, keyText, planSegment, rangesLeft, sharedColumns } from '../../src/core/key-ranges.js';
import { copyOutSql, quoteLiteral, rangeBoundsSql, rangeCondition } from '../../src/supabase/direct-sql.js';

test('a segment cut at every bound asked for ends at the last bound; fewer bounds: the table ends in it', () => {
  const full = planSegment(['0'], [['10'], ['20']], 2);
  assert.deepEqual(full.ranges, [
    { after: ['0'], until: ['10'] },
    { after: ['10'], until: ['20'] },
  ]);
  assert.deepEqual(full.end, ['20']);
  const last = planSegment(['20'], [['30']], 2);
  assert.deepEqual(last.ranges, [
    { after: ['20'], until: ['30'] },
    { after: ['30'], until: null },
  ]);
  assert.equal(last.end, null);
  // Shorter than one range: the whole rest in one open range.
  assert.deepEqual(planSegment(null, [], 4).ranges, [{ after: null, until: null }]);
});

test('the ranges left skip the finished ones; a heartbeat is resumed only in the planned shape', () => {
  const s = planSegment(null, [['1'], ['2'], ['3']], 3);
  s.finished[0] = true;
  s.finished[2] = true;
  assert.deepEqual(rangesLeft(s), [1]);
  assert.ok(isSegment(JSON.parse(JSON.stringify(s))));
  assert.ok(!isSegment(undefined));
  assert.ok(!isSegment({ ranges: [], finished: [], end: null }));
  assert.ok(!isSegment({ ranges: [{}], finished: [], end: null }));
});

test('a cursor as the API renders it becomes the key text the databases take', () => {
  assert.deepEqual(keyText([12, 'a', true]), ['12', 'a', 'true']);
  assert.equal(keyText(null), null);
});

const plan: CopyPlan = {
  columns: ['tenant', 'n', 'note', 'applied_at'],
  types: ['text', 'integer', 'text', 'timestamp with time zone'],
  format: 'binary',
  keyTypes: ['text', 'integer'],
};
const ref = { schema: 'public', table: 'pairs', primaryKeys: ['tenant', 'n'] };

test('only the columns both sides have are copied', () => {
  const shared = sharedColumns(plan, ['tenant', 'n', 'note']);
  assert.deepEqual(shared.columns, ['tenant', 'n', 'note']);
  assert.deepEqual(shared.types, ['text', 'integer', 'text']);
});

test('key bounds are literals cast to the key types, quotes doubled; composite keys compare as rows', () => {
  assert.equal(quoteLiteral("o'brien"), "'o''brien'");
  assert.throws(() => quoteLiteral('a\0b'));
  assert.equal(
    rangeCondition(ref, plan.keyTypes, { after: ["a'b", '5'], until: ['c', '1'] }),
    `("tenant", "n") > ('a''b'::text, '5'::integer) AND ("tenant", "n") <= ('c'::text, '1'::integer)`,
  );
  assert.equal(rangeCondition(ref, plan.keyTypes, { after: null, until: null }), 'true');
  assert.equal(
    copyOutSql(
      { schema: 'my"s', table: 't', primaryKeys: ['id'] },
      { ...plan, keyTypes: ['bigint'] },
      {
        after: ['1'],
        until: null,
      },
    ),
    `COPY (SELECT "tenant", "n", "note", "applied_at" FROM "my""s"."t" WHERE ("id") > ('1'::bigint)) TO STDOUT (FORMAT binary)`,
  );
  assert.match(rangeBoundsSql(ref, plan, null, 100, 4), /LIMIT 400\) AS s WHERE _sync_n % 100 = 0/);
});
