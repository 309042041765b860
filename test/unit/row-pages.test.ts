/**
 * Pages with their JSON text: a page read from the source is written to the target as that text;
 * pages in key order are joined into one write, text and all.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatPages, textLength, textOf, withText } from '../../src/core/row-pages.js';

const page = (text: string) => withText(JSON.parse(text) as Array<Record<string, unknown>>, text);

describe('row pages', () => {
  test('a page keeps its text, exactly as read (numbers a double cannot hold included)', () => {
    const text = '[{"id":"9007199254740993","n":1.50}]';
    const rows = page(text);
    assert.equal(textOf(rows), '[{"id":"9007199254740993","n":1.50}]');
    assert.equal(textLength(rows), textOf(rows)!.length);
  });

  test('pages joined: their rows in order, and one JSON array of both texts', () => {
    const rows = concatPages(page('[{"id":1},{"id":2}]'), page('[ {"id":3} ]\n'))!;
    assert.deepEqual(rows, [{ id: 1 }, { id: 2 }, { id: 3 }]);
    assert.deepEqual(JSON.parse(textOf(rows)!), rows);
    assert.equal(textLength(rows), textOf(rows)!.length);
    const more = concatPages(rows, page('[{"id":4}]'))!;
    assert.deepEqual(JSON.parse(textOf(more)!), [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
    assert.equal(textLength(more), textOf(more)!.length);
  });

  test('an empty page joins as nothing', () => {
    const rows = concatPages(page('[]'), page('[{"id":1}]'))!;
    assert.equal(textOf(rows), '[{"id":1}]');
  });

  test('pages with different columns are not joined (the target takes the columns of the first row)', () => {
    assert.equal(concatPages(page('[{"id":1}]'), page('[{"id":2,"added":true}]')), undefined);
  });

  test('rows without text, or a page changed in place, are serialised as before', () => {
    assert.equal(textOf([{ id: 1 }]), undefined);
    const rows = page('[{"id":1}]');
    rows.push({ id: 2 });
    assert.equal(textOf(rows), undefined);
    assert.equal(textOf(concatPages(rows, page('[{"id":3}]'))!), undefined);
    assert.equal(textOf(rows.slice(0, 1)), undefined);
  });
});
