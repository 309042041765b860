/**
 * The checks hosted Storage applies to names, sizes and MIME types (supabase/storage
 * `src/storage/limits.ts`, `storage.ts` validateMimeType, `uploader.ts` validateMimeType).
 */
import { ERRORS } from './errors.js';

// S3-safe characters only: hosted Storage refuses any other key (non-ASCII included) with InvalidKey.
const VALID_OBJECT_KEY = /^[A-Za-z0-9_/!.*'() &$=@;:+,?-]*$/;
const VALID_BUCKET_NAME = /^[A-Za-z0-9_!.*'() &$=@;:+,?-]*$/;

export function mustBeValidKey(key: string | undefined): asserts key is string {
  if (!key || !VALID_OBJECT_KEY.test(key)) throw ERRORS.invalidKey(key ?? '');
}

export function mustBeValidBucketName(name: string | undefined): asserts name is string {
  if (!name || name.length > 100 || !VALID_BUCKET_NAME.test(name)) throw ERRORS.invalidBucketName();
}

/** '5MB' → 5000000 (decimal units, three significant digits), as hosted parses a bucket's limit. */
export function parseFileSize(value: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(gb|mb|kb|b)$/i.exec(value);
  if (!match) throw ERRORS.invalidFileSizeLimit();
  const amount = +parseFloat(match[1]!).toPrecision(3);
  const unit = { gb: 1e9, mb: 1e6, kb: 1e3, b: 1 }[match[2]!.toLowerCase() as 'gb' | 'mb' | 'kb' | 'b'];
  return amount * unit;
}

/** A bucket's allowed_mime_types entries: `type/subtype` (optionally `; charset=…`) or ending in `*`. */
export function validateAllowedMimeTypes(types: string[]): void {
  for (const type of types) {
    if (type.length > 1000) throw ERRORS.invalidMimeType(type);
    if (!/^([a-zA-Z0-9\-+.]+)\/([a-zA-Z0-9\-+.]+)(;\s*charset=[a-zA-Z0-9-]+)?$|\*$/.test(type)) {
      throw ERRORS.invalidMimeType(type);
    }
  }
}

/** An upload's content type against a bucket's list: exact `type/subtype` (parameters kept) or `type/*`. */
export function validateUploadMimeType(mimeType: string, allowed: string[]): void {
  const requested = mimeType.split('/');
  if (requested.length < 2) throw ERRORS.invalidMimeType(mimeType);
  const [type, subtype] = requested;
  for (const entry of allowed) {
    const [allowedType, allowedSubtype] = entry.split('/');
    if (allowedType === type && (allowedSubtype === '*' || allowedSubtype === subtype)) return;
  }
  throw ERRORS.invalidMimeType(mimeType);
}

export const isEmptyFolderPlaceholder = (name: string) => name.endsWith('.emptyFolderPlaceholder');

/** The largest upload a bucket accepts: its own limit, capped by the project's global limit. */
export function maxUploadSize(bucketLimit: number | string | null, globalLimit: number): number {
  const own = bucketLimit === null ? null : Number(bucketLimit);
  return own !== null && own < globalLimit ? own : globalLimit;
}
