/**
 * Postgres identifiers taken from configuration (schema, table and column names). Nothing from the
 * configuration may reach SQL or a URL unquoted, so only plain identifiers are accepted.
 */
import { show } from './errors.js';

/** Postgres truncates identifiers to NAMEDATALEN - 1 = 63 bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export const IDENTIFIER_RULE = 'letters, digits, _ and $; must not start with a digit';

export type IdentifierKind = 'schema' | 'table' | 'column';

export function isValidIdentifier(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    Buffer.byteLength(name, 'utf8') <= MAX_IDENTIFIER_BYTES &&
    IDENTIFIER.test(name)
  );
}

/**
 * Why `name` is not a valid identifier, as a message fragment that starts with the quoted value,
 * e.g. `"id;drop" is not a valid column name (letters, digits, _ and $; must not start with a digit)`;
 * undefined when it is valid.
 */
export function identifierProblem(name: string, kind: IdentifierKind): string | undefined {
  if (name.length === 0) return `"" is empty; a ${kind} name needs at least one character`;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES && IDENTIFIER.test(name)) {
    return `${show(name)} is too long for a ${kind} name (${bytes} bytes; at most ${MAX_IDENTIFIER_BYTES})`;
  }
  if (!IDENTIFIER.test(name)) return `${show(name)} is not a valid ${kind} name (${IDENTIFIER_RULE})`;
  return undefined;
}

export interface QualifiedName {
  schema: string;
  table: string;
}

/**
 * Splits `table` or `schema.table` (schema defaults to `public`). Returns the parts, or a message
 * fragment saying what is wrong.
 */
export function parseQualifiedName(
  name: string,
  defaultSchema = 'public',
): { ok: true; value: QualifiedName } | { ok: false; problem: string } {
  const parts = name.split('.');
  if (parts.length > 2) {
    return {
      ok: false,
      problem: `${show(name)} has too many dots; write "table" or "schema.table" (${IDENTIFIER_RULE})`,
    };
  }
  const [first = '', second] = parts;
  const schema = second === undefined ? defaultSchema : first;
  const table = second === undefined ? first : second;
  if (second !== undefined) {
    const schemaProblem = identifierProblem(schema, 'schema');
    if (schemaProblem) return { ok: false, problem: `${show(name)}: schema ${schemaProblem}` };
  }
  const tableProblem = identifierProblem(table, 'table');
  if (tableProblem) {
    return {
      ok: false,
      problem: second === undefined ? tableProblem : `${show(name)}: table ${tableProblem}`,
    };
  }
  return { ok: true, value: { schema, table } };
}
