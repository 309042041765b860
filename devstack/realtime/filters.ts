/**
 * The `filter` string of a `postgres_changes` binding: a comma-separated AND list of
 * `column=[not.]op.value`, as Supabase Realtime parses it (`subscriptions.ex`), and its evaluation
 * against a change's typed record.
 */

export const FILTER_OPS = [
  'eq',
  'neq',
  'lt',
  'lte',
  'gt',
  'gte',
  'in',
  'like',
  'ilike',
  'is',
  'match',
  'imatch',
];

export interface ColumnFilter {
  column: string;
  op: string;
  negate: boolean;
  /** The value text; for `in`, the list elements. */
  value: string;
  values: string[];
}

export type FilterParse = { ok: true; filters: ColumnFilter[] } | { ok: false; message: string };

/** Splits on `sep` outside double quotes and parentheses. */
function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted && ch === '\\' && i + 1 < text.length) {
      current += ch + (text[i + 1] as string);
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth = Math.max(0, depth - 1);
    if (ch === sep && !quoted && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}

export function parseFilter(filter: string | undefined): FilterParse {
  if (filter === undefined || filter.trim() === '') return { ok: true, filters: [] };
  const filters: ColumnFilter[] = [];
  for (const part of splitTopLevel(filter, ',')) {
    const eqAt = part.indexOf('=');
    if (eqAt <= 0)
      return { ok: false, message: `Error parsing \`filter\` params: ${JSON.stringify([part])}` };
    const column = part.slice(0, eqAt).trim();
    let rest = part.slice(eqAt + 1);
    let negate = false;
    if (rest.startsWith('not.')) {
      negate = true;
      rest = rest.slice(4);
    }
    const dotAt = rest.indexOf('.');
    const op = dotAt < 0 ? rest : rest.slice(0, dotAt);
    const raw = dotAt < 0 ? '' : rest.slice(dotAt + 1);
    if (!FILTER_OPS.includes(op) || dotAt < 0) {
      return { ok: false, message: `Error parsing \`filter\` params: ${JSON.stringify([column, rest])}` };
    }
    let values: string[] = [];
    if (op === 'in') {
      const inner = raw.trim();
      if (!inner.startsWith('(') || !inner.endsWith(')')) {
        return { ok: false, message: `Error parsing \`filter\` params: ${JSON.stringify([column, rest])}` };
      }
      const body = inner.slice(1, -1);
      values = body.trim() === '' ? [] : splitTopLevel(body, ',').map(unquote);
      if (values.length > 100) {
        return { ok: false, message: 'too many values for `in` filter. Maximum 100' };
      }
    }
    filters.push({ column, op, negate, value: unquote(raw), values });
  }
  return { ok: true, filters };
}

function compare(actual: unknown, expected: string): number | undefined {
  if (typeof actual === 'number') {
    const n = Number(expected);
    if (expected.trim() === '' || Number.isNaN(n)) return undefined;
    return actual === n ? 0 : actual < n ? -1 : 1;
  }
  if (typeof actual === 'boolean') {
    const e = expected.toLowerCase();
    const b = ['t', 'true', 'yes', 'on', '1'].includes(e)
      ? true
      : ['f', 'false', 'no', 'off', '0'].includes(e)
        ? false
        : undefined;
    if (b === undefined) return undefined;
    return actual === b ? 0 : actual ? 1 : -1;
  }
  const text = typeof actual === 'string' ? actual : JSON.stringify(actual);
  return text === expected ? 0 : text < expected ? -1 : 1;
}

function likeToRegExp(pattern: string, flags: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\' && i + 1 < pattern.length) {
      source += (pattern[i + 1] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    } else if (ch === '%' || ch === '*') source += '.*';
    else if (ch === '_') source += '.';
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, flags);
}

function evaluate(filter: ColumnFilter, actual: unknown): boolean {
  if (filter.op === 'is') {
    const v = filter.value.toLowerCase();
    if (v === 'null') return actual === null;
    if (v === 'true') return actual === true;
    if (v === 'false') return actual === false;
    if (v === 'unknown') return actual === null;
    return false;
  }
  // SQL comparisons with NULL are never true.
  if (actual === null || actual === undefined) return false;
  switch (filter.op) {
    case 'eq':
      return compare(actual, filter.value) === 0;
    case 'neq': {
      const c = compare(actual, filter.value);
      return c !== undefined && c !== 0;
    }
    case 'lt':
      return (compare(actual, filter.value) ?? 0) < 0;
    case 'lte': {
      const c = compare(actual, filter.value);
      return c !== undefined && c <= 0;
    }
    case 'gt':
      return (compare(actual, filter.value) ?? 0) > 0;
    case 'gte': {
      const c = compare(actual, filter.value);
      return c !== undefined && c >= 0;
    }
    case 'in':
      return filter.values.some((v) => compare(actual, v) === 0);
    case 'like':
    case 'ilike': {
      const text = typeof actual === 'string' ? actual : JSON.stringify(actual);
      return likeToRegExp(filter.value, filter.op === 'ilike' ? 'i' : '').test(text);
    }
    case 'match':
    case 'imatch': {
      const text = typeof actual === 'string' ? actual : JSON.stringify(actual);
      try {
        return new RegExp(filter.value, filter.op === 'imatch' ? 'i' : '').test(text);
      } catch {
        return false;
      }
    }
    default:
      return false;
  }
}

/**
 * True when every filter passes against `record` (typed JSON values). A column missing from the
 * record (e.g. a non-key column of a DELETE's old record) fails the filter, as on the server.
 */
export function passesFilters(filters: readonly ColumnFilter[], record: Record<string, unknown>): boolean {
  for (const filter of filters) {
    if (!Object.prototype.hasOwnProperty.call(record, filter.column)) return false;
    const actual = record[filter.column];
    // SQL: a comparison with NULL is NULL, and so is its negation.
    if (filter.op !== 'is' && (actual === null || actual === undefined)) return false;
    const result = evaluate(filter, actual);
    if (filter.negate ? result : !result) return false;
  }
  return true;
}
