/**
 * The PostgREST URL grammar (wire spec §1.3): select, filters (filters.ts), order, limit/offset,
 * `columns` and `on_conflict`. Pure: no schema knowledge, no SQL. Errors are PGRST100 RestErrors.
 */
import { parseError } from './errors.js';
import { parseFilter, parseLogic, type Condition } from './filters.js';
import { Cursor, readField, splitTopLevel, unquoteName } from './url-lexer.js';

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

const RESERVED = new Set(['select', 'columns', 'on_conflict', 'order', 'limit', 'offset']);
const LOGIC_KEYS = new Set(['and', 'or', 'not.and', 'not.or']);
const EMBED_SUFFIXES = ['select', 'order', 'limit', 'offset', 'and', 'or', 'columns'];

export const UNSUPPORTED_EMBED = 'Resource embedding is not supported by the local PostgREST stand-in';

/** True for keys that are not filters or rpc arguments. */
export function isReservedKey(key: string): boolean {
  return RESERVED.has(key) || LOGIC_KEYS.has(key);
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
