/**
 * Signed URLs as hosted Storage makes and checks them (supabase/storage `src/storage/object.ts`
 * signObjectUrl / signObjectUrls / signUploadObjectUrl / verifyObjectSignature): HS256 JWTs signed
 * with the project's JWT secret carrying `url` ("bucket/key") and `scope` ("download"/"upload";
 * upload tokens also `upsert` and `owner`). Fetching one needs no Authorization header.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { signJwt } from '../keys.js';
import { ERRORS, sendJson } from './errors.js';
import { authenticate, check, parseUserMetadata, readJson, type Caller } from './http.js';
import { mustBeValidBucketName } from './limits.js';
import { scopeOf, type Handler, type StorageRequest } from './context.js';
import { findObject } from './db.js';
import { ANONYMOUS, ownerOf } from './objects.js';
import { sendObject } from './serve.js';
import { canUpload, uploadFromRequest } from './upload.js';

/** Hosted projects' signed upload URLs are valid for two hours. */
export const SIGNED_UPLOAD_URL_EXPIRY_SECONDS = 2 * 60 * 60;
/** jose refuses an expiry past the year 9999 (storage's MAX_ABSOLUTE_JWT_EXPIRATION_SECONDS). */
const MAX_EXPIRY_EPOCH_SECONDS = 253402300799;

interface SignedToken {
  url: string;
  scope?: string;
  upsert?: boolean;
  owner?: string;
  exp: number;
}

function sign(claims: Record<string, unknown>, secret: string, expiresIn: number): string {
  const iat = Math.floor(Date.now() / 1000);
  return signJwt({ ...claims, iat, exp: iat + expiresIn }, secret);
}

/** jose's checks and messages, which hosted passes on as InvalidJWT. */
function verify(token: string, secret: string): SignedToken {
  const parts = token.split('.');
  if (parts.length !== 3) throw ERRORS.invalidJwt('Invalid Compact JWS');
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw ERRORS.invalidJwt('signature verification failed');
  }
  let payload: SignedToken;
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as SignedToken;
  } catch {
    throw ERRORS.invalidJwt('JWT Claims Set must be a top-level JSON object');
  }
  if (typeof payload.exp === 'number' && payload.exp <= Math.floor(Date.now() / 1000)) {
    throw ERRORS.invalidJwt('"exp" claim timestamp check failed');
  }
  return payload;
}

/** A signed URL's token for this object and scope (hosted `verifyObjectSignature`). */
export function verifySignedToken(
  token: string,
  secret: string,
  bucket: string,
  key: string,
  scope: 'download' | 'upload',
) {
  const payload = verify(token, secret);
  // Tokens from before scopes: an upload token is one with `upsert`.
  const tokenScope = payload.scope ?? ('upsert' in payload ? 'upload' : 'download');
  if (tokenScope !== scope) throw ERRORS.invalidSignature(`Token is not scoped for ${scope}`);
  if (payload.url !== `${bucket}/${key}`) throw ERRORS.invalidSignature();
  return payload;
}

function expiresIn(body: Record<string, unknown>): number {
  check.required(body, 'expiresIn');
  const value = check.integer(body, 'expiresIn', 1)!;
  if (value > MAX_EXPIRY_EPOCH_SECONDS - Math.floor(Date.now() / 1000))
    throw ERRORS.invalidParameter('expiresIn');
  return value;
}

/** The raw path after `/object/<route>/`, percent-decoded as `decodeURI` does (hosted signs that). */
function signedPath(r: StorageRequest, route: string): string {
  const raw = new URL(r.req.url ?? '/', 'http://localhost').pathname;
  return decodeURI(raw.slice(raw.indexOf(`/object/${route}/`) + `/object/${route}/`.length));
}

export const createSignedUrl: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const body = await readJson(r.req);
  const seconds = expiresIn(body);
  const bucket = r.params.bucket!;
  mustBeValidBucketName(bucket);
  const exists = await ctx.db.transaction(scopeOf(caller, r, 'storage.object.sign'), (tx) =>
    findObject(tx, bucket, r.params.key!),
  );
  if (!exists) throw ERRORS.noSuchKey();
  const url = signedPath(r, 'sign');
  const token = sign({ url, scope: 'download' }, ctx.jwtSecret, seconds);
  sendJson(r.res, 200, { signedURL: `/object/sign/${url}?token=${token}` });
};

export const createSignedUrls: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const body = await readJson(r.req);
  const seconds = expiresIn(body);
  check.required(body, 'paths');
  const paths = check.stringArray(body, 'paths') ?? [];
  if (paths.length < 1) throw ERRORS.validation('body/paths must NOT have fewer than 1 items');
  if (paths.length > 1000) throw ERRORS.validation('body/paths must NOT have more than 1000 items');
  const bucket = r.params.bucket!;
  mustBeValidBucketName(bucket);
  const found = await ctx.db.transaction(scopeOf(caller, r, 'storage.object.sign_many'), async (tx) => {
    const rows = await tx.query<{ name: string }>(
      'SELECT name FROM storage.objects WHERE bucket_id = $1 AND name = ANY($2)',
      [bucket, paths],
    );
    return new Set(rows.rows.map((row) => row.name));
  });
  sendJson(
    r.res,
    200,
    paths.map((path) =>
      found.has(path)
        ? {
            error: null,
            path,
            signedURL: `/object/sign/${bucket}/${path}?token=${sign({ url: `${bucket}/${path}`, scope: 'download' }, ctx.jwtSecret, seconds)}`,
          }
        : {
            error: 'Either the object does not exist or you do not have access to it',
            path,
            signedURL: null,
          },
    ),
  );
};

export const getSignedObject: Handler = async (ctx, r) => {
  const token = r.query.get('token');
  if (token === null) throw ERRORS.validation("querystring must have required property 'token'");
  const bucket = r.params.bucket!;
  mustBeValidBucketName(bucket);
  const payload = verifySignedToken(token, ctx.jwtSecret, bucket, r.params.key!, 'download');
  const row = await ctx.db.transaction(scopeOf(ANONYMOUS, r, 'storage.object.get_signed'), (tx) =>
    findObject(tx, bucket, r.params.key!),
  );
  if (!row) throw ERRORS.noSuchKey();
  await sendObject(ctx, r, row, { expires: new Date(payload.exp * 1000).toUTCString() });
};

export const createSignedUploadUrl: Handler = async (ctx, r) => {
  const caller = authenticate(r.req, ctx.jwtSecret);
  const bucket = r.params.bucket!;
  mustBeValidBucketName(bucket);
  const name = r.params.key!;
  const upsert = r.req.headers['x-upsert'] === 'true';
  const owner = ownerOf(caller);
  const contentLength = Number(r.req.headers['content-length']) || undefined;
  r.req.resume();
  await canUpload(ctx, caller, r, {
    bucket,
    name,
    upsert,
    owner,
    operation: 'storage.object.sign_upload_url',
    userMetadata: parseUserMetadata(r.req.headers['x-metadata']),
    metadata: { mimetype: r.req.headers['content-type'], contentLength },
  });
  const url = `${bucket}/${name}`;
  const token = sign(
    { owner, url, upsert, scope: 'upload' },
    ctx.jwtSecret,
    SIGNED_UPLOAD_URL_EXPIRY_SECONDS,
  );
  sendJson(r.res, 200, { url: `/object/upload/sign/${url}?token=${token}`, token });
};

export const uploadToSignedUrl: Handler = async (ctx, r) => {
  const token = r.query.get('token');
  if (token === null) throw ERRORS.validation("querystring must have required property 'token'");
  const bucket = r.params.bucket!;
  mustBeValidBucketName(bucket);
  const payload = verifySignedToken(token, ctx.jwtSecret, bucket, r.params.key!, 'upload');
  const caller: Caller = { authenticated: true, claims: { role: 'service_role' } };
  const row = await uploadFromRequest(ctx, caller, r, {
    bucket,
    name: r.params.key!,
    upsert: payload.upsert === true,
    owner: payload.owner,
    operation: 'storage.object.upload_signed',
  });
  sendJson(r.res, 200, { Key: `${row.bucket_id}/${row.name}` });
};
