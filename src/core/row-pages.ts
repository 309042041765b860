/**
 * A page of rows together with the JSON text it was parsed from, so a page read from the source
 * can be written to the target as that text, without serialising its rows again (the copy's
 * largest cost in the worker). The text is tied to the array itself (a WeakMap: never copied into
 * workflow payloads, gone with the page): a new array (a filter, a slice, changed rows) has no text
 * and is serialised as before. A page with text must not be changed in place.
 */
import type { Row } from '../contracts/ports.js';

/** A page's text as the elements of one or more JSON arrays (joined only when written). */
interface PageText {
  parts: string[];
  chars: number;
  rows: number;
}

const texts = new WeakMap<Row[], PageText>();

/** The elements of a JSON array's text, without its brackets ('' for an empty array). */
function inner(text: string): string {
  return text.slice(text.indexOf('[') + 1, text.lastIndexOf(']')).trim();
}

/** `rows`, known to be exactly the JSON array `text`. */
export function withText(rows: Row[], text: string): Row[] {
  const part = inner(text);
  texts.set(rows, { parts: part === '' ? [] : [part], chars: part.length + 2, rows: rows.length });
  return rows;
}

/** The known text of `rows`, when no row was added or removed since it was read. */
function known(rows: Row[]): PageText | undefined {
  const text = texts.get(rows);
  return text !== undefined && text.rows === rows.length ? text : undefined;
}

/** The JSON text of `rows` when it is known; otherwise undefined. */
export function textOf(rows: Row[]): string | undefined {
  const text = known(rows);
  return text && `[${text.parts.join(',')}]`;
}

/** The length of textOf(rows), without building it; undefined when not known. */
export function textLength(rows: Row[]): number | undefined {
  return known(rows)?.chars;
}

/** The columns of a page (of its first row: a page read in one statement has the same in every row). */
const columnsOf = (rows: Row[]) => (rows.length === 0 ? '' : Object.keys(rows[0]!).join('\u0000'));

/**
 * One page of `a`'s rows then `b`'s, with text when both have it; undefined when their columns
 * differ (the schema changed between two reads): the target takes a write's columns from its first row.
 */
export function concatPages(a: Row[], b: Row[]): Row[] | undefined {
  if (a.length > 0 && b.length > 0 && columnsOf(a) !== columnsOf(b)) return undefined;
  const rows = a.concat(b);
  const at = known(a);
  const bt = known(b);
  if (at !== undefined && bt !== undefined) {
    const parts = at.parts.concat(bt.parts);
    texts.set(rows, { parts, chars: at.chars + bt.chars - 1, rows: rows.length });
  }
  return rows;
}
