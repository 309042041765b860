/**
 * The tables file (SYNC_TABLE_CONFIG, default sync/tables.config.json): which tables to keep in
 * sync and how. Accepts either `[...]` or `{ "tables": [...], "include": [...], "exclude": [...] }`:
 * `tables` lists tables (and settings for tables the patterns select), `include`/`exclude` select
 * tables by pattern (table-patterns.ts). A table whose entry has no `primaryKeys` takes the key
 * from the source's catalog when the worker starts (src/engine/resolve-tables.ts), else `id`.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { closest, ConfigError, describeType, show } from './errors.js';
import { identifierProblem, parseQualifiedName, type IdentifierKind } from './identifiers.js';
import { patternProblem, type TablePatterns } from './table-patterns.js';
import { authFlag, sequenceList, withAuthTables } from './tables-extras.js';
import { parseStorageConfig, type StorageConfig } from './storage.js';
import type { TableConfig } from './types.js';

export const DEFAULT_PRIMARY_KEYS: readonly string[] = ['id'];
export const DEFAULT_INCREMENTAL_FIELDS: readonly string[] = ['updated_at', 'created_at'];

const TABLE_KEYS = ['name', 'primaryKeys', 'incrementalFields', 'realtime', 'reconcile'] as const;
const EXAMPLE_ENTRY = '{"name": "public.orders"}';

/** A column name: a string that is a plain identifier. */
function identifier(kind: IdentifierKind) {
  return z
    .string({ error: (iss) => `must be a ${kind} name string (got ${describeType(iss.input)})` })
    .superRefine((value, ctx) => {
      const problem = identifierProblem(value, kind);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
    });
}

/** A non-empty array of distinct column names. */
function columnList(field: string, example: readonly string[], defaultHint: string) {
  const exampleJson = `[${example.map((c) => JSON.stringify(c)).join(', ')}]`;
  return z
    .array(identifier('column'), {
      error: (iss) =>
        `must be a non-empty array of column names, e.g. ${exampleJson} (got ${describeType(iss.input)})`,
    })
    .superRefine((columns, ctx) => {
      if (columns.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `is empty; list ${defaultHint}, e.g. ${exampleJson}, or leave ${field} out to use the default`,
          input: columns,
        });
        return;
      }
      columns.forEach((column, i) => {
        if (columns.indexOf(column) !== i) {
          ctx.addIssue({
            code: 'custom',
            message: `${show(column)} is listed twice; remove the duplicate`,
            path: [i],
            input: column,
          });
        }
      });
    });
}

function flag(field: string) {
  return z.boolean({
    error: (iss) =>
      `must be true or false without quotes (got ${describeType(iss.input)}${
        typeof iss.input === 'string' || typeof iss.input === 'number' ? ` ${show(iss.input)}` : ''
      }); leave ${field} out to use the default true`,
  });
}

const TableEntrySchema = z.strictObject(
  {
    name: z
      .string({
        error: (iss) =>
          iss.input === undefined
            ? `is missing; add "name": "public.orders" (or just "orders" for schema public)`
            : `must be a string like "public.orders" (got ${describeType(iss.input)})`,
      })
      .transform((name, ctx) => {
        const parsed = parseQualifiedName(name);
        if (!parsed.ok) {
          ctx.addIssue({ code: 'custom', message: parsed.problem, input: name });
          return z.NEVER;
        }
        return parsed.value;
      }),
    primaryKeys: columnList('primaryKeys', DEFAULT_PRIMARY_KEYS, 'the primary key column(s)').default([
      ...DEFAULT_PRIMARY_KEYS,
    ]),
    incrementalFields: columnList(
      'incrementalFields',
      DEFAULT_INCREMENTAL_FIELDS,
      'the timestamp column(s) to track changes by',
    ).default([...DEFAULT_INCREMENTAL_FIELDS]),
    realtime: flag('realtime').default(true),
    reconcile: flag('reconcile').default(true),
  },
  {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `must be an object like ${EXAMPLE_ENTRY} (got ${describeType(iss.input)})`
        : undefined,
  },
);

function patternList(field: 'include' | 'exclude') {
  return z
    .array(
      z
        .string({
          error: (iss) => `must hold pattern strings like "public.*" (got ${describeType(iss.input)})`,
        })
        .superRefine((value, ctx) => {
          const problem = patternProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
        }),
      {
        error: (iss) =>
          `must be an array of table patterns, e.g. ["public.*"] (got ${describeType(iss.input)}); leave ${field} out for none`,
      },
    )
    .optional();
}

const WrapperSchema = z.strictObject({
  $schema: z.string().optional(),
  tables: z
    .array(z.unknown(), {
      error: (iss) => `must be an array of tables, e.g. [${EXAMPLE_ENTRY}] (got ${describeType(iss.input)})`,
    })
    .optional(),
  include: patternList('include'),
  exclude: patternList('exclude'),
  storage: z.unknown().optional(),
  sequences: sequenceList(),
  auth: authFlag(),
});

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
      if (parsed.ok) return `table "${parsed.value.schema}.${parsed.value.table}"`;
    }
  }
  return where;
}

/** Validates the parsed JSON of a tables file (entries only; see parseTablesFile for patterns). */
export function parseTablesConfig(json: unknown, file: string): TableConfig[] {
  return parseTablesFile(json, file).tables;
}

/**
 * Validates the parsed JSON of a tables file. `file` is only used in messages. Throws ConfigError
 * with a one-line message for the first problem found.
 */
export function parseTablesFile(json: unknown, file: string): TablesFile {
  let entries: unknown[];
  let prefix: string;
  let patterns: TablePatterns | undefined;
  let storage: StorageConfig | undefined;
  let extras: Pick<TablesFile, 'sequences' | 'auth'> = {};
  if (Array.isArray(json)) {
    entries = json;
    prefix = '';
  } else if (json !== null && typeof json === 'object') {
    const wrapper = WrapperSchema.safeParse(json);
    if (!wrapper.success) {
      const issue = firstIssue(wrapper.error.issues);
      const message =
        issue?.code === 'unrecognized_keys'
          ? `${unknownKeyMessage(issue.keys[0] ?? '', ['tables', 'include', 'exclude', 'storage', 'sequences', 'auth']).replace('unknown key', 'unknown top-level key')}; expected {"tables": [...]}`
          : issue
            ? issueMessage(issue, [])
            : 'is not a valid tables file';
      throw new ConfigError(`${file}: ${message}`);
    }
    entries = wrapper.data.tables ?? [];
    prefix = 'tables';
    if (wrapper.data.include !== undefined || wrapper.data.exclude !== undefined) {
      patterns = { include: wrapper.data.include ?? [], exclude: wrapper.data.exclude ?? [] };
    }
    if (wrapper.data.storage !== undefined) storage = parseStorageConfig(wrapper.data.storage, file);
    if (wrapper.data.sequences !== undefined && wrapper.data.sequences.length > 0) {
      extras = { ...extras, sequences: [...new Set(wrapper.data.sequences)] };
    }
    if (wrapper.data.auth === true) extras = { ...extras, auth: true };
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
  } else {
    throw new ConfigError(
      `${file}: must be a JSON array of tables or {"tables": [...]} (got ${describeType(json)}); see sync/tables.config.example.json`,
    );
  }

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

  const tables: TableConfig[] = [];
  const seen = new Map<string, string>();
  entries.forEach((entry, i) => {
    const where = `${prefix}[${i}]`;
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
    const qualifiedName = `${name.schema}.${name.table}`;
    const previous = seen.get(qualifiedName);
    if (previous !== undefined) {
      throw new ConfigError(
        `${file}: table "${qualifiedName}" is listed twice (${previous} and ${where}); remove one of them`,
      );
    }
    seen.set(qualifiedName, where);
    tables.push({
      schema: name.schema,
      table: name.table,
      qualifiedName,
      primaryKeys,
      ...(primaryKeysGiven ? {} : { primaryKeysFromCatalog: true }),
      incrementalFields,
      realtime,
      reconcile,
    });
  });
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
      `${label}: cannot read the tables file (${code ?? (err as Error).message}); check the path in ${variable} and its permissions`,
      { cause: err },
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const reason = (err as Error).message;
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
