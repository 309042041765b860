/**
 * The tables file (SYNC_TABLE_CONFIG, default sync/tables.config.json): which tables to keep in
 * sync and how. Accepts either `[...]` or `{ "tables": [...], "include": [...], "exclude": [...] }`:
 * `tables` lists tables (and settings for tables the patterns select), `include`/`exclude` select
 * tables by pattern (table-patterns.ts). A table whose entry has no `primaryKeys` takes the key
 * from the source's catalog when the worker starts (src/engine/resolve-tables.ts), else `id`.
 */
import fs from 'node:fs';
import type { z } from 'zod';
import type { SchemaConfig, StorageConfig, TableConfig, TablePatterns } from '../contracts/config.js';
import { errorMessage } from '../core/errors.js';
import { closest, ConfigError, describeType, show } from './errors.js';
import { parseQualifiedName } from './identifiers.js';
import { withAuthTables } from './tables-extras.js';
import { EXAMPLE_ENTRY, TABLE_KEYS, TableEntrySchema, WrapperSchema } from './tables-schema.js';
import { parseStorageConfig } from './storage.js';
import { parseSchemaConfig } from './schema-follow.js';
import { tableName } from '../core/names.js';

/** What a tables file holds: its entries, and the patterns when it has any. */
export interface TablesFile {
  tables: TableConfig[];
  patterns?: TablePatterns;
  /** The `storage` key: the buckets to sync (storage.ts). */
  storage?: StorageConfig;
  /** Sequences to keep ahead on the target besides the tables' own (`schema.name`). */
  sequences?: string[];
  /** `"auth": true`: auth.users and auth.identities are synced. */
  auth?: boolean;
  /** The `schema` key: `follow` (schema-follow.ts). */
  schema?: SchemaConfig;
}

/** `primaryKeys[1]` from a zod issue path. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue | undefined {
  // A misspelt key is usually the root cause of whatever else is wrong: report it first.
  return issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
}

function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const guess = closest(key, allowed);
  const hint = guess ? ` (did you mean ${guess}?)` : '';
  return `unknown key ${show(key)}${hint}; allowed keys: ${allowed.join(', ')}`;
}

function issueMessage(issue: z.core.$ZodIssue, allowedKeys: readonly string[]): string {
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '';
    return prefix + unknownKeyMessage(issue.keys[0] ?? '', allowedKeys);
  }
  const path = formatPath(issue.path);
  return path ? `${path} ${issue.message}` : issue.message;
}

/** What to call a table entry in messages: `table "public.orders"` if its name is usable. */
function entryLabel(entry: unknown, where: string): string {
  if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
    const name = (entry as { name?: unknown }).name;
    if (typeof name === 'string') {
      const parsed = parseQualifiedName(name);
      if (parsed.ok) return `table "${tableName(parsed.value)}"`;
    }
  }
  return where;
}

/** Validates the parsed JSON of a tables file (entries only; see parseTablesFile for patterns). */
export function parseTablesConfig(json: unknown, file: string): TableConfig[] {
  return parseTablesFile(json, file).tables;
}

/** The file's parts before its entries are validated. */
interface FileParts {
  entries: unknown[];
  /** What entries are called in messages: `tables[2]`, or `[2]` for a bare array. */
  prefix: string;
  patterns?: TablePatterns;
  storage?: StorageConfig;
  extras: Pick<TablesFile, 'sequences' | 'auth' | 'schema'>;
}

function fileParts(json: unknown, file: string): FileParts {
  if (Array.isArray(json)) return { entries: json, prefix: '', extras: {} };
  if (json !== null && typeof json === 'object') return wrapperParts(json, file);
  throw new ConfigError(
    `${file}: must be a JSON array of tables or {"tables": [...]} (got ${describeType(json)}); see sync/tables.config.example.json`,
  );
}

/** The first problem of the `{ "tables": [...], … }` object, as a message. */
function wrapperMessage(issues: readonly z.core.$ZodIssue[]): string {
  const issue = firstIssue(issues);
  return issue?.code === 'unrecognized_keys'
    ? `${unknownKeyMessage(issue.keys[0] ?? '', ['tables', 'include', 'exclude', 'storage', 'schema', 'sequences', 'auth']).replace('unknown key', 'unknown top-level key')}; expected {"tables": [...]}`
    : issue
      ? issueMessage(issue, [])
      : 'is not a valid tables file';
}

/** `{ "tables": [...], "include": [...], "exclude": [...], "storage": …, "schema": …, "sequences": …, "auth": … }`. */
function wrapperParts(json: object, file: string): FileParts {
  const wrapper = WrapperSchema.safeParse(json);
  if (!wrapper.success) throw new ConfigError(`${file}: ${wrapperMessage(wrapper.error.issues)}`);
  let patterns: TablePatterns | undefined;
  let storage: StorageConfig | undefined;
  let extras: Pick<TablesFile, 'sequences' | 'auth' | 'schema'> = {};
  if (wrapper.data.include !== undefined || wrapper.data.exclude !== undefined) {
    patterns = { include: wrapper.data.include ?? [], exclude: wrapper.data.exclude ?? [] };
  }
  if (wrapper.data.storage !== undefined) storage = parseStorageConfig(wrapper.data.storage, file);
  if (wrapper.data.sequences !== undefined && wrapper.data.sequences.length > 0) {
    extras = { ...extras, sequences: [...new Set(wrapper.data.sequences)] };
  }
  if (wrapper.data.auth === true) extras = { ...extras, auth: true };
  if (wrapper.data.schema !== undefined)
    extras = { ...extras, schema: parseSchemaConfig(wrapper.data.schema, file) };
  if (
    wrapper.data.tables === undefined &&
    patterns === undefined &&
    storage === undefined &&
    extras.auth !== true
  ) {
    throw new ConfigError(
      `${file}: tables is missing; expected {"tables": [${EXAMPLE_ENTRY}]} or {"include": ["public.*"]}`,
    );
  }
  return { entries: wrapper.data.tables ?? [], prefix: 'tables', patterns, storage, extras };
}

/** One entry of `tables`, validated; `where` (`tables[2]`) names it in messages. */
function parseEntry(entry: unknown, where: string, file: string): TableConfig {
  const label = entryLabel(entry, where);
  const result = TableEntrySchema.safeParse(entry);
  if (!result.success) {
    const issue = firstIssue(result.error.issues);
    const message = issue ? issueMessage(issue, TABLE_KEYS) : 'is not valid';
    // Entry-level type errors read "tables[2] must be an object ..." (no colon).
    const separator = issue && issue.path.length === 0 && issue.code === 'invalid_type' ? ' ' : ': ';
    throw new ConfigError(`${file}: ${label}${separator}${message}`);
  }
  const { name, primaryKeys, incrementalFields, realtime, reconcile } = result.data;
  const primaryKeysGiven = Object.prototype.hasOwnProperty.call(entry, 'primaryKeys');
  return {
    schema: name.schema,
    table: name.table,
    qualifiedName: tableName(name),
    primaryKeys,
    ...(primaryKeysGiven ? {} : { primaryKeysFromCatalog: true }),
    incrementalFields,
    realtime,
    reconcile,
  };
}

/** The entries, validated in order; a table listed twice is refused. */
function parseEntries(entries: unknown[], prefix: string, file: string): TableConfig[] {
  const tables: TableConfig[] = [];
  const seen = new Map<string, string>();
  entries.forEach((entry, i) => {
    const where = `${prefix}[${i}]`;
    const table = parseEntry(entry, where, file);
    const previous = seen.get(table.qualifiedName);
    if (previous !== undefined) {
      throw new ConfigError(
        `${file}: table "${table.qualifiedName}" is listed twice (${previous} and ${where}); remove one of them`,
      );
    }
    seen.set(table.qualifiedName, where);
    tables.push(table);
  });
  return tables;
}

/**
 * Validates the parsed JSON of a tables file. `file` is only used in messages. Throws ConfigError
 * with a one-line message for the first problem found.
 */
export function parseTablesFile(json: unknown, file: string): TablesFile {
  const { entries, prefix, patterns, storage, extras } = fileParts(json, file);
  if (
    entries.length === 0 &&
    (patterns === undefined || patterns.include.length === 0) &&
    !storage &&
    extras.auth !== true
  ) {
    throw new ConfigError(
      `${file}: no tables configured; add at least one entry like ${EXAMPLE_ENTRY}${patterns ? ', or a pattern to "include" like "public.*"' : ''}`,
    );
  }
  const tables = parseEntries(entries, prefix, file);
  return {
    tables: extras.auth ? withAuthTables(tables) : tables,
    ...(patterns ? { patterns } : {}),
    ...(storage ? { storage } : {}),
    ...extras,
  };
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}

/**
 * Reads and validates a tables file. `absolutePath` is read; `label` (usually the path as
 * configured) and `variable` name it in messages.
 */
export function readTablesFile(
  absolutePath: string,
  label: string,
  variable = 'SYNC_TABLE_CONFIG',
): TablesFile {
  let text: string;
  try {
    text = fs.readFileSync(absolutePath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(
        `${label}: tables file not found (${absolutePath}); copy sync/tables.config.example.json there or point ${variable} at your tables file`,
        { cause: err },
      );
    }
    if (code === 'EISDIR') {
      throw new ConfigError(`${label}: is a directory, not a tables file; point ${variable} at a JSON file`, {
        cause: err,
      });
    }
    throw new ConfigError(
      `${label}: cannot read the tables file (${code ?? errorMessage(err)}); check the path in ${variable} and its permissions`,
      { cause: err },
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const reason = errorMessage(err);
    const match = /at position (\d+)/.exec(reason);
    let where = '';
    if (match && !/line \d+/.test(reason)) {
      const { line, column } = lineColumn(text, Number(match[1]));
      where = ` (line ${line}, column ${column})`;
    }
    throw new ConfigError(
      `${label}: invalid JSON: ${reason}${where}; fix the syntax (JSON allows no comments or trailing commas)`,
      {
        cause: err,
      },
    );
  }
  return parseTablesFile(json, label);
}
