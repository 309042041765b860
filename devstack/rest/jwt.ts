/**
 * PostgREST's check of `Authorization: Bearer <jwt>` (v13+, PostgREST/postgrest
 * src/library/PostgREST/Auth/Jwt.hs and Error.hs), with the project's JWT secret as its only key:
 * three parts; an HMAC algorithm the key can verify (HS256/384/512) and a signature it verifies;
 * claims that are a JSON object; `exp`, `nbf`, `iat` numbers checked with 30 s of clock skew; `aud` a
 * string or an array of strings (no audience is configured, so any value passes). The role is the
 * `role` claim (PostgREST's `jwt-role-claim-key` `.role`), else the anonymous role, and the claims
 * PostgREST puts in `request.jwt.claims` carry it.
 */
import { hmacSignatureValid } from '../keys.js';
import { RestError } from './errors.js';

/** PostgREST's `db-anon-role` on Supabase. */
export const ANON_ROLE = 'anon';

const ALLOWED_SKEW_SECONDS = 30;
const HASHES = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;

export interface JwtAuth {
  role: string;
  claims: Record<string, unknown>;
}

/** PGRST301 (undecodable) or PGRST303 (bad claims): 401 with `WWW-Authenticate: Bearer error="invalid_token"`. */
function jwtError(code: 'PGRST301' | 'PGRST303', message: string, details: string | null = null): RestError {
  // Haskell's `show` of the message: quoted, with `"` and `\` escaped.
  const description = JSON.stringify(message);
  return new RestError(401, code, message, {
    details,
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description=${description}` },
  });
}

const decodeError = (message: string, details: string | null = null) =>
  jwtError('PGRST301', message, details);
const claimsError = (message: string) => jwtError('PGRST303', message);

function parseJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first failing claim check, in PostgREST's order (exp, nbf, iat, aud), or null. */
function claimProblem(claims: Record<string, unknown>, nowSeconds: number): string | null {
  const time = (key: 'exp' | 'nbf' | 'iat', invalid: (t: number) => boolean, problem: string) => {
    const value = claims[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number') return `The JWT '${key}' claim must be a number`;
    return invalid(Math.trunc(value)) ? problem : null;
  };
  const aud = claims.aud;
  const audOk =
    aud === undefined ||
    aud === null ||
    typeof aud === 'string' ||
    (Array.isArray(aud) && aud.every((a) => typeof a === 'string'));
  return (
    time('exp', (t) => nowSeconds - ALLOWED_SKEW_SECONDS > t, 'JWT expired') ??
    time('nbf', (t) => nowSeconds + ALLOWED_SKEW_SECONDS < t, 'JWT not yet valid') ??
    time('iat', (t) => nowSeconds + ALLOWED_SKEW_SECONDS < t, 'JWT issued at future') ??
    (audOk ? null : "The JWT 'aud' claim must be a string or an array of strings")
  );
}

/** The role and claims of a bearer token, or PostgREST's error for it. */
export function verifyBearerToken(token: string, secret: string, now = Date.now()): JwtAuth {
  if (token === '') throw decodeError('Empty JWT is sent in Authorization header');
  const parts = token.split('.');
  if (parts.length !== 3) throw decodeError(`Expected 3 parts in JWT; got ${parts.length}`);
  const [header, body, signature] = parts as [string, string, string];
  const head = parseJson(header);
  if (!isObject(head) || typeof head.alg !== 'string') throw decodeError("JWT couldn't be decoded");
  const hash = HASHES[head.alg as keyof typeof HASHES] as (typeof HASHES)[keyof typeof HASHES] | undefined;
  if (hash === undefined) {
    throw decodeError('No suitable key or wrong key type', 'No suitable key was found to decode the JWT');
  }
  if (!hmacSignatureValid(`${header}.${body}`, signature, secret, hash)) {
    throw decodeError('No suitable key or wrong key type', 'None of the keys was able to decode the JWT');
  }
  const claims = parseJson(body);
  if (!isObject(claims)) throw claimsError('Parsing claims failed');
  const problem = claimProblem(claims, Math.floor(now / 1000));
  if (problem !== null) throw claimsError(problem);
  const claim = claims.role;
  const role =
    claim === undefined
      ? ANON_ROLE
      : typeof claim === 'string'
        ? claim
        : (JSON.stringify(claim) ?? ANON_ROLE);
  return { role, claims: { ...claims, role } };
}
