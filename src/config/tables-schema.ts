/**
 * The tables file's shape as zod schemas (tables.ts validates with them): the wrapper object and
 * one table entry, each problem with the message a user reads.
 */
import { z } from 'zod';
import { describeType, show } from './errors.js';
import { identifierProblem, parseQualifiedName, type IdentifierKind } from './identifiers.js';
import { patternProblem } from './table-patterns.js';
import { authFlag, sequenceList } from './tables-extras.js';

export const DEFAULT_PRIMARY_KEYS: readonly string[] = ['id'];
export const DEFAULT_INCREMENTAL_FIELDS: readonly string[] = ['updated_at', 'created_at'];

export const TABLE_KEYS = ['name', 'primaryKeys', 'incrementalFields', 'realtime', 'reconcile'] as const;
export const EXAMPLE_ENTRY = '{"name": "public.orders"}';

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

export const TableEntrySchema = z.strictObject(
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

export const WrapperSchema = z.strictObject({
  $schema: z.string().optional(),
  tables: z
    .array(z.unknown(), {
      error: (iss) => `must be an array of tables, e.g. [${EXAMPLE_ENTRY}] (got ${describeType(iss.input)})`,
    })
    .optional(),
  include: patternList('include'),
  exclude: patternList('exclude'),
  storage: z.unknown().optional(),
  schema: z.unknown().optional(),
  sequences: sequenceList(),
  auth: authFlag(),
});
