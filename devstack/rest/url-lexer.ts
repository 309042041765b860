/**
 * The lexer of the PostgREST URL grammar (wire spec §1.3): a cursor over one parameter's value,
 * quoted names, lists `(a,"b,c")` and top-level splitting. Errors are PGRST100 RestErrors.
 */
import { parseError } from './errors.js';

export class Cursor {
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

export function checkName(name: string, what: string, whole: string): string {
  if (name === '')
    throw parseError(`"failed to parse ${what} (${whole})" (line 1, column 1)`, 'expecting a column name');
  if (name.includes('->'))
    throw parseError(`JSON paths are not supported by the local PostgREST stand-in (${whole})`);
  return name;
}

/** A field name: `"quoted"` or everything up to one of `stops`. */
export function readField(c: Cursor, stops: string, what: string): string {
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

export function unquoteName(raw: string, what: string): string {
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
export function readList(c: Cursor, what: string): string[] {
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
