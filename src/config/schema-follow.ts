/**
 * The `schema` key of the tables file: `{"schema": {"follow": true}}` lets a running worker apply
 * to the target what the source added (columns, policies, functions, indexes, grants, …) by itself
 * (src/core/schema-follow.ts says what; docs/configuration.md). It needs SYNC_TARGET_DATABASE_URL,
 * the connection those statements run on: `checkSchemaFollow` refuses the pair otherwise.
 */
import type { SchemaConfig } from '../contracts/config.js';
import { closest, ConfigError, describeType, show } from './errors.js';
import { projectRef } from './database-urls.js';

const EXAMPLE = '{"schema": {"follow": true}}';
const SCHEMA_KEYS = ['follow'] as const;

/** Validates the `schema` value of a tables file; one-line ConfigError naming the file and the key. */
export function parseSchemaConfig(value: unknown, file: string): SchemaConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${file}: schema must be an object like ${EXAMPLE} (got ${describeType(value)})`);
  }
  for (const key of Object.keys(value)) {
    if (!(SCHEMA_KEYS as readonly string[]).includes(key)) {
      const guess = closest(key, SCHEMA_KEYS);
      throw new ConfigError(
        `${file}: schema: unknown key ${show(key)}${guess ? ` (did you mean ${guess}?)` : ''}; allowed keys: ${SCHEMA_KEYS.join(', ')}`,
      );
    }
  }
  const follow = (value as { follow?: unknown }).follow;
  if (follow === undefined) return { follow: false };
  if (typeof follow !== 'boolean') {
    throw new ConfigError(
      `${file}: schema.follow must be true or false without quotes (got ${describeType(follow)}${typeof follow === 'string' || typeof follow === 'number' ? ` ${show(follow)}` : ''}); true applies what the source adds to the target, leave it out for false`,
    );
  }
  return { follow };
}

/**
 * `follow` needs the target's database URL, and that URL must not be the source's: one line naming
 * the tables file's key and the variable. The URL itself is never shown.
 */
export function checkSchemaFollow(
  schema: SchemaConfig | undefined,
  databaseUrl: string | undefined,
  sourceUrl: string,
  file: string,
): void {
  if (databaseUrl === undefined) {
    if (schema?.follow !== true) return;
    throw new ConfigError(
      `${file}: schema.follow is true but SYNC_TARGET_DATABASE_URL is not set: set it to the target's database URL (postgresql://postgres:PASSWORD@db.<backup-ref>.supabase.co:5432/postgres), through which the worker applies what the source adds, or leave "schema": {"follow": true} out`,
    );
  }
  const sourceRef = projectRef(sourceUrl);
  if (sourceRef !== undefined && databaseUrl.includes(sourceRef)) {
    throw new ConfigError(
      `SYNC_TARGET_DATABASE_URL is the source project's database (${sourceRef}); it must be the target's (backup) database`,
    );
  }
}
