/**
 * Filters of the PostgREST URL grammar (wire spec §1.3): `key=[not.]op[(modifier)].value` and the
 * `and`/`or` logic trees. Pure: no schema knowledge, no SQL. Errors are PGRST100 RestErrors.
 */
import { parseError } from './errors.js';
import { Cursor, readField, readList, unquoteName } from './url-lexer.js';

export type CompareOp =
  | 'eq'
  | 'neq'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'like'
  | 'ilike'
  | 'match'
  | 'imatch'
  | 'isdistinct'
  | 'cs'
  | 'cd'
  | 'ov'
  | 'sl'
  | 'sr'
  | 'nxl'
  | 'nxr'
  | 'adj';
export type FtsOp = 'fts' | 'plfts' | 'phfts' | 'wfts';
export type IsValue = 'null' | 'not_null' | 'true' | 'false' | 'unknown';

export type Operation =
  | { kind: 'compare'; op: CompareOp; value: string; quantifier?: 'any' | 'all' }
  | { kind: 'in'; values: string[] }
  | { kind: 'is'; value: IsValue }
  | { kind: 'fts'; op: FtsOp; config: string | null; value: string };

export type Condition =
  | { type: 'filter'; column: string; negate: boolean; operation: Operation }
  | { type: 'logic'; op: 'and' | 'or'; negate: boolean; children: Condition[] };

const COMPARE_OPS = new Set<string>([
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'match',
  'imatch',
  'isdistinct',
  'cs',
  'cd',
  'ov',
  'sl',
  'sr',
  'nxl',
  'nxr',
  'adj',
]);
const FTS_OPS = new Set<string>(['fts', 'plfts', 'phfts', 'wfts']);
const IS_VALUES = new Set<string>(['null', 'not_null', 'true', 'false', 'unknown']);

/** A value inside a logic tree: `"quoted"`, `{array literal}` or up to the next `,` / `)`. */
function readLogicValue(c: Cursor, what: string): string {
  const start = c.i;
  if (c.peek() === '"') {
    const v = c.readQuoted(what);
    if (c.peek() === ',' || c.peek() === ')') return v;
    c.i = start;
  } else if (c.peek() === '{') {
    const end = c.s.indexOf('}', c.i);
    const inner = end < 0 ? '' : c.s.slice(c.i + 1, end);
    if (end >= 0 && !inner.includes('{')) {
      c.i = end + 1;
      if (c.peek() === ',' || c.peek() === ')') return c.s.slice(start, end + 1);
    }
    c.i = start;
  }
  return c.readUntil(',)');
}

/** `[not.]op[(modifier)].value`; in a logic tree the value stops at `,` or `)`. */
function readOperation(c: Cursor, inLogic: boolean, what: string): { negate: boolean; operation: Operation } {
  let negate = false;
  if (c.startsWith('not.')) {
    negate = true;
    c.i += 4;
  }
  const opStart = c.i;
  const opName = c.readUntil('.(,)');
  let modifier: string | null = null;
  if (c.peek() === '(') {
    c.i++;
    modifier = c.readUntil(')');
    c.expect(')', what);
  }
  const badOp = () =>
    parseError(
      `"failed to parse ${what} (${c.s})" (line 1, column ${opStart + 1})`,
      `unexpected "${opName}" expecting "not" or operator (eq, gt, ...)`,
    );
  if (c.peek() !== '.') throw badOp();
  c.i++;
  const value = () => (inLogic ? readLogicValue(c, what) : c.rest());
  if (opName === 'in' && modifier === null) {
    const values = readList(c, what);
    if (!inLogic && !c.done)
      throw parseError(`"failed to parse ${what} (${c.s})" (line 1, column ${c.i + 1})`);
    return { negate, operation: { kind: 'in', values } };
  }
  if (opName === 'is' && modifier === null) {
    const v = value().toLowerCase();
    if (!IS_VALUES.has(v)) {
      throw parseError(
        `"failed to parse ${what} (${c.s})" (line 1, column ${opStart + 4})`,
        'unexpected value expecting null, not_null, true, false or unknown',
      );
    }
    return { negate, operation: { kind: 'is', value: v as IsValue } };
  }
  if (FTS_OPS.has(opName)) {
    return { negate, operation: { kind: 'fts', op: opName as FtsOp, config: modifier, value: value() } };
  }
  if (COMPARE_OPS.has(opName)) {
    if (modifier !== null) {
      if (modifier !== 'any' && modifier !== 'all') throw badOp();
      return {
        negate,
        operation: { kind: 'compare', op: opName as CompareOp, value: value(), quantifier: modifier },
      };
    }
    return { negate, operation: { kind: 'compare', op: opName as CompareOp, value: value() } };
  }
  throw badOp();
}

/** A top-level filter `key=[not.]op.value`. */
export function parseFilter(key: string, raw: string): Condition {
  const column = unquoteName(key, 'filter');
  const c = new Cursor(raw);
  const { negate, operation } = readOperation(c, false, 'filter');
  return { type: 'filter', column, negate, operation };
}

function readConditions(c: Cursor, what: string): Condition[] {
  c.expect('(', what);
  const children: Condition[] = [];
  for (;;) {
    children.push(readCondition(c, what));
    if (c.peek() === ',') {
      c.i++;
      continue;
    }
    c.expect(')', what);
    return children;
  }
}

function readCondition(c: Cursor, what: string): Condition {
  for (const [prefix, op, negate] of [
    ['not.and(', 'and', true],
    ['not.or(', 'or', true],
    ['and(', 'and', false],
    ['or(', 'or', false],
  ] as const) {
    if (c.startsWith(prefix)) {
      c.i += prefix.length - 1;
      return { type: 'logic', op, negate, children: readConditions(c, what) };
    }
  }
  const column = readField(c, '.,()', what);
  c.expect('.', what);
  const { negate, operation } = readOperation(c, true, what);
  return { type: 'filter', column, negate, operation };
}

/** `or=(…)`, `and=(…)`, `not.or=(…)`, `not.and=(…)`. */
export function parseLogic(key: string, raw: string): Condition {
  const negate = key.startsWith('not.');
  const op = key.endsWith('or') ? 'or' : 'and';
  const c = new Cursor(raw);
  const children = readConditions(c, 'logic tree');
  if (!c.done)
    throw parseError(
      `"failed to parse logic tree (${raw})" (line 1, column ${c.i + 1})`,
      'unexpected input after ")"',
    );
  return { type: 'logic', op, negate, children };
}
