/** PostgREST's filter grammar as the source adapter writes it: quoting, keyset conditions, key lists. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keysetAfter, quoteLogicValue, rowsAfter, rowsWithKeys } from '../../src/supabase/filters.js';

/** Records the calls a supabase-js query builder would get. */
class Recorder {
  readonly calls: string[] = [];
  gte(column: string, value: unknown): this {
    this.calls.push(`gte ${column} ${String(value)}`);
    return this;
  }
  or(filters: string): this {
    this.calls.push(`or ${filters}`);
    return this;
  }
  filter(column: string, operator: string, value: unknown): this {
    this.calls.push(`filter ${column} ${operator} ${String(value)}`);
    return this;
  }
}

describe('quoteLogicValue', () => {
  test('double-quotes every value, escaping backslashes and quotes', () => {
    assert.equal(quoteLogicValue('plain'), '"plain"');
    assert.equal(quoteLogicValue('a,b)c'), '"a,b)c"');
    assert.equal(quoteLogicValue('say "hi" \\ bye'), '"say \\"hi\\" \\\\ bye"');
  });

  test('numbers, booleans and null are written as JSON, quoted', () => {
    assert.equal(quoteLogicValue(42), '"42"');
    assert.equal(quoteLogicValue(true), '"true"');
    assert.equal(quoteLogicValue(null), '"null"');
  });
});

describe('keysetAfter', () => {
  test('one column: strictly greater', () => {
    assert.equal(keysetAfter(['id'], [7]), 'id.gt."7"');
  });

  test('(version, key) > (v, k): the version greater, or equal with a greater key', () => {
    assert.equal(
      keysetAfter(['updated_at', 'id'], ['2026-01-31T12:00:00+00:00', 5]),
      'updated_at.gt."2026-01-31T12:00:00+00:00",and(updated_at.eq."2026-01-31T12:00:00+00:00",id.gt."5")',
    );
  });

  test('three columns expand lexicographically, values quoted', () => {
    assert.equal(
      keysetAfter(['a', 'b', 'c'], ['x,y', 2, 'q"']),
      'a.gt."x,y",and(a.eq."x,y",b.gt."2"),and(a.eq."x,y",b.eq."2",c.gt."q\\"")',
    );
  });
});

describe('rowsAfter', () => {
  test('adds a gte on the leading column (an index bound) before the keyset or', () => {
    const query = rowsAfter(new Recorder(), ['updated_at', 'id'], ['2026-01-31', 3]);
    assert.deepEqual(query.calls, [
      'gte updated_at 2026-01-31',
      'or updated_at.gt."2026-01-31",and(updated_at.eq."2026-01-31",id.gt."3")',
    ]);
  });
});

describe('rowsWithKeys', () => {
  test('a one-column key: in.(…) with every value quoted', () => {
    const query = rowsWithKeys(new Recorder(), ['slug'], [{ slug: 'a,b' }, { slug: 'x"y' }]);
    assert.deepEqual(query.calls, ['filter slug in ("a,b","x\\"y")']);
  });

  test('a composite key: an or of and(…) terms', () => {
    const query = rowsWithKeys(
      new Recorder(),
      ['tenant', 'id'],
      [
        { tenant: 't1', id: 1 },
        { tenant: 't2', id: 2 },
      ],
    );
    assert.deepEqual(query.calls, ['or and(tenant.eq."t1",id.eq."1"),and(tenant.eq."t2",id.eq."2")']);
  });
});
