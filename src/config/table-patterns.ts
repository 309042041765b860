/**
 * Table patterns of the tables file (`"include": ["public.*"]`, `"exclude": ["public.audit_*"]`):
 * `schema.table` with `*` (any run of characters) and `?` (one character); a pattern without a
 * dot is a table of `public`. The tables they select are found on the source while the worker runs
 * (src/engine/resolve-tables.ts). Deterministic, no Node built-ins.
 */
import type { TablePatterns } from '../contracts/config.js';

const PART = /^[A-Za-z0-9_$*?]+$/;

/** Why `pattern` is not a table pattern (a message fragment), or undefined when it is one. */
export function patternProblem(pattern: string): string | undefined {
  const parts = pattern.split('.');
  if (pattern.length === 0)
    return '"" is empty; write "schema.table" with * and ? as wildcards, e.g. "public.*"';
  if (parts.length > 2 || parts.some((p) => !PART.test(p))) {
    return `${JSON.stringify(pattern)} is not a table pattern: write "schema.table" with letters, digits, _ and $, and * or ? as wildcards, e.g. "public.*"`;
  }
  return undefined;
}

function regex(pattern: string): RegExp {
  const qualified = pattern.includes('.') ? pattern : `public.${pattern}`;
  const body = qualified
    .split('')
    .map((c) => (c === '*' ? '[^.]*' : c === '?' ? '[^.]' : c.replace(/[$.]/g, (m) => `\\${m}`)))
    .join('');
  return new RegExp(`^${body}$`);
}

/** Whether `schema.table` is selected: it matches an include pattern and no exclude pattern. */
export function selectedByPatterns(patterns: TablePatterns, qualifiedName: string): boolean {
  return (
    patterns.include.some((p) => regex(p).test(qualifiedName)) &&
    !patterns.exclude.some((p) => regex(p).test(qualifiedName))
  );
}

/** Whether `schema.table` is excluded by name (an exclude pattern matches it). */
export function excludedByPatterns(patterns: TablePatterns, qualifiedName: string): boolean {
  return patterns.exclude.some((p) => regex(p).test(qualifiedName));
}
