/**
 * The tables file's settings beside the tables: `sequences` (sequences to keep ahead on the target
 * besides those behind the tables' columns) and `auth` (sync auth.users and auth.identities).
 */
import { z } from 'zod';
import type { TableConfig } from '../contracts/config.js';
import { describeType } from './errors.js';
import { parseQualifiedName } from './identifiers.js';
import { tableName } from '../core/names.js';

/** `"sequences": ["public.orders_id_seq"]`: names as `schema.name`. */
export function sequenceList() {
  return z
    .array(
      z
        .string({
          error: (iss) =>
            `must hold sequence names like "public.orders_id_seq" (got ${describeType(iss.input)})`,
        })
        .transform((name, ctx) => {
          const parsed = parseQualifiedName(name);
          if (!parsed.ok) {
            ctx.addIssue({
              code: 'custom',
              message: parsed.problem.replace(/\btable\b/g, 'sequence'),
              input: name,
            });
            return z.NEVER;
          }
          return tableName(parsed.value);
        }),
      {
        error: (iss) =>
          `must be an array of sequence names, e.g. ["public.orders_id_seq"] (got ${describeType(iss.input)}); leave sequences out for none`,
      },
    )
    .optional();
}

/** `"auth": true`. */
export function authFlag() {
  return z
    .boolean({
      error: (iss) =>
        `must be true or false without quotes (got ${describeType(iss.input)}); true syncs auth.users and auth.identities, leave auth out for false`,
    })
    .optional();
}

/** What `"auth": true` adds: auth.users and auth.identities, kept in sync by passes (no Realtime for auth). */
export const AUTH_TABLES: readonly TableConfig[] = ['users', 'identities'].map((table) => ({
  schema: 'auth',
  table,
  qualifiedName: `auth.${table}`,
  primaryKeys: ['id'],
  incrementalFields: ['updated_at', 'created_at'],
  realtime: false,
  reconcile: true,
}));

/** The tables with the auth tables added (an entry of the file for one of them is kept as it is). */
export function withAuthTables(tables: TableConfig[]): TableConfig[] {
  const listed = new Set(tables.map((t) => t.qualifiedName));
  return [
    ...tables,
    ...AUTH_TABLES.filter((t) => !listed.has(t.qualifiedName)).map((t) => ({
      ...t,
      primaryKeys: [...t.primaryKeys],
      incrementalFields: [...t.incrementalFields],
    })),
  ];
}
