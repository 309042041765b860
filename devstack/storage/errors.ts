/**
 * Storage errors as hosted Supabase Storage renders them (supabase/storage
 * `src/internal/errors/codes.ts`, `storage-error.ts`, `src/http/error-handler.ts`): a JSON body
 * `{statusCode, code, error, message}` where `statusCode` is the error's own status as a string,
 * sent with HTTP 400 (500 for internal errors) — the real status is only in the body. TUS answers
 * use the body's status and the message as plain text (see tus.ts).
 */
import type http from 'node:http';
import type pg from 'pg';

export class StorageError extends Error {
  constructor(
    /** The status in the body (`statusCode`). */
    readonly status: number,
    readonly code: string,
    message: string,
    /** The legacy `error` field; the code when unset. */
    readonly error: string = code,
    /** The HTTP status; hosted sends 400 for every non-500 error unless a route says otherwise. */
    readonly httpStatus: number = status === 500 ? 500 : 400,
  ) {
    super(message);
  }

  body(): Record<string, string> {
    return { statusCode: String(this.status), code: this.code, error: this.error, message: this.message };
  }
}

const e = (status: number, code: string, message: string, error?: string) =>
  new StorageError(status, code, message, error);

export const ERRORS = {
  noSuchBucket: () => e(404, 'NoSuchBucket', 'Bucket not found', 'Bucket not found'),
  noSuchKey: () => e(404, 'NoSuchKey', 'Object not found', 'not_found'),
  bucketNotEmpty: () => e(409, 'ResourceNotEmpty', 'The bucket you tried to delete is not empty'),
  bucketAlreadyExists: () => e(409, 'BucketAlreadyExists', 'The resource already exists', 'Duplicate'),
  keyAlreadyExists: () => e(409, 'KeyAlreadyExists', 'The resource already exists', 'Duplicate'),
  resourceAlreadyExists: () => e(409, 'ResourceAlreadyExists', 'The resource already exists', 'Duplicate'),
  invalidBucketName: () => e(400, 'InvalidBucketName', 'Bucket name invalid', 'Invalid Input'),
  invalidKey: (key: string) => e(400, 'InvalidKey', `Invalid key: ${key}`),
  invalidMimeType: (mime: string) =>
    e(415, 'InvalidMimeType', `mime type ${mime} is not supported`, 'invalid_mime_type'),
  entityTooLarge: (entity = 'object') =>
    e(413, 'EntityTooLarge', `The ${entity} exceeded the maximum allowed size`, 'Payload too large'),
  invalidFileSizeLimit: () =>
    e(400, 'InvalidRequest', 'Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B'),
  noContentProvided: (message = 'No content provided') => e(400, 'InvalidRequest', message),
  invalidParameter: (name: string) => e(400, 'InvalidParameter', `Invalid Parameter ${name}`),
  invalidRequest: (message: string) => e(400, 'InvalidRequest', message),
  accessDenied: (message: string) => e(403, 'AccessDenied', message, 'Unauthorized'),
  invalidJwt: (message: string) => e(400, 'InvalidJWT', message),
  invalidSignature: (message = 'Invalid signature') => e(400, 'InvalidSignature', message),
  unableToEmptyBucket: () =>
    e(409, 'InvalidRequest', 'Unable to empty the bucket because it contains too many objects'),
  featureNotEnabled: (feature: string) =>
    e(409, 'FeatureNotEnabled', `The feature ${feature} is not enabled for this resource`),
  /** Fastify's schema validation failure (FST_ERR_VALIDATION): a real HTTP 400. */
  validation: (message: string) => e(400, 'InvalidRequest', message, 'Error'),
  internal: () => e(500, 'InternalError', 'Internal server error', 'Internal'),
  databaseError: (code: string) => e(500, 'DatabaseError', `database error, code: ${code}`),
  notFoundRoute: (method: string, url: string) =>
    new StorageError(404, 'InvalidRequest', `Route ${method}:${url} not found`, 'Not Found', 404),
};

/** How the storage server maps a Postgres error (`DBError.fromDBError`). */
export function fromPgError(error: pg.DatabaseError): StorageError {
  switch (error.code) {
    case '42501':
      return ERRORS.accessDenied(
        error.message.includes('row-level security')
          ? 'new row violates row-level security policy'
          : error.message,
      );
    case '23505':
      return ERRORS.resourceAlreadyExists();
    case '23503':
      return error.detail?.includes('is still referenced from table')
        ? e(
            409,
            'ResourceReferenced',
            'The resource could not be updated or removed due to a foreign key constraint',
          )
        : new StorageError(404, 'InvalidRequest', 'The related resource does not exist');
    case '55P03':
      return e(423, 'ResourceLocked', 'The resource is locked');
    case '57014':
      return new StorageError(
        544,
        'DatabaseTimeout',
        'The connection to the database timed out',
        'DatabaseTimeout',
        544,
      );
    case '22P02':
      return e(400, 'InvalidParameter', error.message || 'Invalid value format or type conversion failed');
    default:
      return ERRORS.databaseError(error.code ?? 'unknown');
  }
}

export function isPgError(error: unknown): error is pg.DatabaseError {
  return typeof error === 'object' && error !== null && 'severity' in error && 'code' in error;
}

export function toStorageError(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  if (isPgError(error)) return fromPgError(error);
  return ERRORS.internal();
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, error: StorageError, method: string) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (method === 'HEAD') {
    res.writeHead(error.httpStatus, { 'content-type': 'application/json; charset=utf-8' });
    res.end();
    return;
  }
  sendJson(res, error.httpStatus, error.body());
}
