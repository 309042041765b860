/**
 * The `storage` key of the tables file: which buckets' objects to copy to the target
 * (docs/storage.md). `{"buckets": ["avatars", "invoices"]}` names them; `{"buckets": "*"}` takes
 * every bucket of the source (listed when the worker starts). Absent: no storage sync.
 */
import { z } from 'zod';
import type { StorageConfig } from '../contracts/config.js';
import { closest, ConfigError, describeType, show } from './errors.js';

const EXAMPLE = '{"storage": {"buckets": ["avatars", "invoices"]}}';
const STORAGE_KEYS = ['buckets'] as const;

/** Bucket ids as hosted Storage accepts them (its `isValidBucketName`): printable ASCII, no `/`. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty; give the bucket id as the Storage dashboard shows it';
  if (name.length > 100)
    return `${show(name)} is longer than 100 characters (Storage refuses such bucket ids)`;
  if (!/^(\w|!|-|\.|\*|'|\(|\)| |&|\$|@|=|;|:|\+|,|\?)*$/.test(name))
    return `${show(name)} is not a bucket id (letters, digits and !-.*'()&$@=;:+,? and spaces only, no "/")`;
  return undefined;
}

const BucketList = z
  .array(
    z
      .string({ error: (iss) => `must hold bucket id strings (got ${describeType(iss.input)})` })
      .superRefine((value, ctx) => {
        const problem = bucketNameProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
      }),
  )
  .superRefine((names, ctx) => {
    if (names.length === 0)
      ctx.addIssue({
        code: 'custom',
        message: 'is empty; list bucket ids or "*" for every bucket, or leave "storage" out',
      });
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i)
        ctx.addIssue({
          code: 'custom',
          message: `${show(name)} is listed twice; remove the duplicate`,
          path: [i],
        });
    });
  });

/** Validates the `storage` value of a tables file; one-line ConfigError naming the file. */
export function parseStorageConfig(value: unknown, file: string): StorageConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${file}: storage must be an object like ${EXAMPLE} (got ${describeType(value)})`);
  }
  for (const key of Object.keys(value)) {
    if (!(STORAGE_KEYS as readonly string[]).includes(key)) {
      const guess = closest(key, STORAGE_KEYS);
      throw new ConfigError(
        `${file}: storage: unknown key ${show(key)}${guess ? ` (did you mean ${guess}?)` : ''}; allowed keys: ${STORAGE_KEYS.join(', ')}`,
      );
    }
  }
  const buckets = (value as { buckets?: unknown }).buckets;
  if (buckets === undefined) {
    throw new ConfigError(
      `${file}: storage.buckets is missing; expected ${EXAMPLE} or {"storage": {"buckets": "*"}}`,
    );
  }
  if (buckets === '*') return { buckets: '*' };
  if (typeof buckets === 'string') {
    throw new ConfigError(
      `${file}: storage.buckets must be "*" or an array of bucket ids, e.g. [${show(buckets)}] (got the string ${show(buckets)})`,
    );
  }
  if (!Array.isArray(buckets)) {
    throw new ConfigError(
      `${file}: storage.buckets must be "*" or an array of bucket ids, e.g. ["avatars"] (got ${describeType(buckets)})`,
    );
  }
  const parsed = BucketList.safeParse(buckets);
  if (!parsed.success) {
    const issue = parsed.error.issues.find((i) => i.code === 'custom') ?? parsed.error.issues[0];
    const where = issue?.path.find((p) => typeof p === 'number');
    throw new ConfigError(
      `${file}: storage.buckets${where !== undefined ? `[${where}]` : ''} ${issue?.message ?? 'is not valid'}`,
    );
  }
  return { buckets: parsed.data };
}
