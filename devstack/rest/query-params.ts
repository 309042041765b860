/**
 * The PostgREST URL grammar (wire spec §1.3): select, filters, `and`/`or` logic trees, order, limit/offset,
 * `columns` and `on_conflict`. Pure: no schema knowledge, no SQL. Errors are PGRST100 RestErrors.
 */
import { parseError } from './errors.js';

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

export type SelectItem = { kind: 'star' } | { kind: 'column'; name: string; alias: string | null };

export interface OrderTerm {
  column: string;
  direction: 'asc' | 'desc' | null;
  nulls: 'first' | 'last' | null;
}

export interface QueryParams {
  select: SelectItem[];
  columns: string[] | null;
  onConflict: string[] | null;
  order: OrderTerm[];
  limit: number | null;
  offset: number;
  /** Top-level conditions, ANDed. */
  conditions: Condition[];
  /** Values of keys named in `argNames` (GET/HEAD rpc arguments). */
  args: Map<string, string>;
}

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
const RESERVED = new Set(['select', 'columns', 'on_conflict', 'order', 'limit', 'offset']);
const LOGIC_KEYS = new Set(['and', 'or', 'not.and', 'not.or']);
const EMBED_SUFFIXES = ['select', 'order', 'limit', 'offset', 'and', 'or', 'columns'];

export const UNSUPPORTED_EMBED = 'Resource embedding is not supported by the local PostgREST stand-in';

/** True for keys that are not filters or rpc arguments. */
export function isReservedKey(key: string): boolean {
  return RESERVED.has(key) || LOGIC_KEYS.has(key);
}

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  startsWith(prefix: string): boolean {
    return this.s.startsWith(prefix, this.i);
  }
  rest(): string {
    const r = this.s.slice(this.i);
    this.i = this.s.length;
    return r;
  }
  readUntil(stops: string): string {
    const start = this.i;
    while (!this.done && !stops.includes(this.peek())) this.i++;
    return this.s.slice(start, this.i);
  }
  expect(ch: string, what: string): void {
    if (this.peek() !== ch) {
      const found = this.done ? 'end of input' : `"${this.peek()}"`;
      throw parseError(
        `"failed to parse ${what} (${this.s})" (line 1, column ${this.i + 1})`,
        `unexpected ${found} expecting "${ch}"`,
      );
    }
    this.i++;
  }
  /** A `"quoted"` string with backslash escapes; the cursor is on the opening quote. */
  readQuoted(what: string): string {
    this.expect('"', what);
    let out = '';
    while (!this.done && this.peek() !== '"') {
      if (this.peek() === '\\' && this.i + 1 < this.s.length) this.i++;
      out += this.peek();
      this.i++;
    }
    this.expect('"', what);
    return out;
  }
}

function checkName(name: string, what: string, whole: string): string {
  if (name === '')
    throw parseError(`"failed to parse ${what} (${whole})" (line 1, column 1)`, 'expecting a column name');
  if (name.includes('->'))
    throw parseError(`JSON paths are not supported by the local PostgREST stand-in (${whole})`);
  return name;
}

/** A field name: `"quoted"` or everything up to one of `stops`. */
function readField(c: Cursor, stops: string, what: string): string {
  if (c.peek() === '"') return c.readQuoted(what);
  return checkName(c.readUntil(stops), what, c.s);
}

/** Split on `sep` outside double quotes and parentheses. */
export function splitTopLevel(s: string, sep = ','): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === sep && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

function unquoteName(raw: string, what: string): string {
  const t = raw.trim();
  if (t.startsWith('"')) {
    const c = new Cursor(t);
    const name = c.readQuoted(what);
    if (!c.done) throw parseError(`"failed to parse ${what} (${raw})" (line 1, column ${c.i + 1})`);
    return name;
  }
  return checkName(t, what, raw);
}

/** A list `(a,"b,c",d)`; the cursor is on `(`. */
function readList(c: Cursor, what: string): string[] {
  c.expect('(', what);
  const values: string[] = [];
  if (c.peek() === ')') {
    c.i++;
    return values;
  }
  for (;;) {
    const start = c.i;
    let value: string | null = null;
    if (c.peek() === '"') {
      value = c.readQuoted(what);
      if (c.peek() !== ',' && c.peek() !== ')') {
        c.i = start;
        value = null;
      }
    }
    values.push(value ?? c.readUntil(',)'));
    if (c.peek() === ',') {
      c.i++;
      continue;
    }
    c.expect(')', what);
    return values;
  }
}

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

export function parseSelect(raw: string): SelectItem[] {
  const items: SelectItem[] = [];
  for (const part of splitTopLevel(raw)) {
    const item = part.trim();
    if (item === '') continue;
    if (item === '*') {
      items.push({ kind: 'star' });
      continue;
    }
    if (item.startsWith('...') || /^[^"]*\(/.test(item) || /"[^"]*"[^"]*\(/.test(item)) {
      throw parseError(UNSUPPORTED_EMBED, `"${item}" is an embedded resource, a spread or an aggregate`);
    }
    const c = new Cursor(item);
    let name = readField(c, ':', 'select');
    let alias: string | null = null;
    if (c.startsWith('::'))
      throw parseError(`Casts in select are not supported by the local PostgREST stand-in (${item})`);
    if (c.peek() === ':') {
      c.i++;
      alias = name;
      name = readField(c, ':', 'select');
      if (c.startsWith('::'))
        throw parseError(`Casts in select are not supported by the local PostgREST stand-in (${item})`);
    }
    if (!c.done) throw parseError(`"failed to parse select parameter (${raw})" (line 1, column ${c.i + 1})`);
    items.push({ kind: 'column', name, alias });
  }
  return items.length ? items : [{ kind: 'star' }];
}

export function parseOrder(raw: string): OrderTerm[] {
  return splitTopLevel(raw).map((part) => {
    const c = new Cursor(part.trim());
    const column = readField(c, '.', 'order');
    const mods = c.done ? [] : c.rest().slice(1).split('.');
    const term: OrderTerm = { column, direction: null, nulls: null };
    for (const mod of mods) {
      if ((mod === 'asc' || mod === 'desc') && term.direction === null && term.nulls === null)
        term.direction = mod;
      else if ((mod === 'nullsfirst' || mod === 'nullslast') && term.nulls === null)
        term.nulls = mod === 'nullsfirst' ? 'first' : 'last';
      else
        throw parseError(
          `"failed to parse order (${raw})" (line 1, column 1)`,
          `unexpected "${mod}" expecting "asc", "desc", "nullsfirst" or "nullslast"`,
        );
    }
    return term;
  });
}

/** `columns="a","b"` or `on_conflict=a,b`. */
export function parseNameList(raw: string, what: string): string[] {
  return splitTopLevel(raw).map((p) => unquoteName(p, what));
}

function parseCount(raw: string, what: string): number {
  if (!/^\d+$/.test(raw)) throw parseError(`"failed to parse ${what} parameter (${raw})" (line 1, column 1)`);
  return Number(raw);
}

export interface ParseOptions {
  /** Keys that are rpc arguments rather than filters. */
  argNames?: ReadonlySet<string>;
  /** Keys to drop entirely (e.g. an `apikey` query parameter used for authentication). */
  ignore?: ReadonlySet<string>;
}

export function parseQuery(search: URLSearchParams, options: ParseOptions = {}): QueryParams {
  const q: QueryParams = {
    select: [{ kind: 'star' }],
    columns: null,
    onConflict: null,
    order: [],
    limit: null,
    offset: 0,
    conditions: [],
    args: new Map(),
  };
  for (const [key, value] of search) {
    if (options.ignore?.has(key)) continue;
    if (options.argNames?.has(key)) {
      q.args.set(key, value);
      continue;
    }
    switch (key) {
      case 'select':
        q.select = parseSelect(value);
        continue;
      case 'columns':
        q.columns = parseNameList(value, 'columns');
        continue;
      case 'on_conflict':
        q.onConflict = parseNameList(value, 'on_conflict');
        continue;
      case 'order':
        q.order.push(...parseOrder(value));
        continue;
      case 'limit':
        q.limit = parseCount(value, 'limit');
        continue;
      case 'offset':
        q.offset = parseCount(value, 'offset');
        continue;
    }
    if (LOGIC_KEYS.has(key)) {
      q.conditions.push(parseLogic(key, value));
      continue;
    }
    const dot = key.lastIndexOf('.');
    if (dot > 0 && !key.startsWith('"') && EMBED_SUFFIXES.includes(key.slice(dot + 1))) {
      throw parseError(UNSUPPORTED_EMBED, `"${key}" applies to an embedded resource`);
    }
    q.conditions.push(parseFilter(key, value));
  }
  return q;
}
