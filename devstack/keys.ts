/**
 * Supabase API keys are HS256 JWTs signed with the project's JWT secret. The local stack makes one
 * secret per project and, from it, the project's anon and service role keys; `userAccessToken`
 * signs what GoTrue would hand a signed-in user.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/** The `iss` of the stack's keys. */
const ISSUER = 'supabase-sync-devstack';

export function newJwtSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

/** Does `signature` (base64url) sign `header.body` with `secret` under HMAC `hash`? */
export function hmacSignatureValid(
  signed: string,
  signature: string,
  secret: string,
  hash: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): boolean {
  const expected = createHmac(hash, secret).update(signed).digest();
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function projectKey(secret: string, role: 'anon' | 'service_role', ref: string | undefined): string {
  const iat = Math.floor(Date.now() / 1000);
  return signJwt(
    { iss: ISSUER, ...(ref === undefined ? {} : { ref }), role, iat, exp: iat + 10 * 365 * 24 * 3600 },
    secret,
  );
}

/**
 * A service role key. `ref` is the project ref hosted keys carry: the local Realtime keeps its
 * quotas per ref (devstack/realtime/server.ts), so keys with different refs act as different
 * projects there (the test harness gives each test file its own).
 */
export function makeServiceRoleKey(secret: string, ref?: string): string {
  return projectKey(secret, 'service_role', ref);
}

/** The project's anon (public) key: requests with it alone run as `anon`. Only the REST API takes it. */
export function makeAnonKey(secret: string, ref?: string): string {
  return projectKey(secret, 'anon', ref);
}

export interface UserTokenOptions {
  /** The user's id (auth.uid()). */
  sub: string;
  email?: string;
  /** The role PostgREST switches to (default `authenticated`). */
  role?: string;
  /** Lifetime from now (default 3600, GoTrue's default); negative for a token already expired. */
  expiresInSeconds?: number;
  /** More claims, or ones replacing the defaults (e.g. `app_metadata`). */
  claims?: Record<string, unknown>;
}

/**
 * A signed-in user's access token, with the claims GoTrue puts in one (`aud: authenticated`, `role`,
 * `sub`, `email`, `exp`, `aal`, `amr`, `session_id`, …), signed with the project's JWT secret: what
 * supabase-js sends as `Authorization: Bearer` once a user signs in.
 */
export function userAccessToken(secret: string, user: UserTokenOptions): string {
  const iat = Math.floor(Date.now() / 1000);
  return signJwt(
    {
      iss: `${ISSUER}/auth/v1`,
      aud: 'authenticated',
      exp: iat + (user.expiresInSeconds ?? 3600),
      iat,
      sub: user.sub,
      email: user.email ?? '',
      phone: '',
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: {},
      role: user.role ?? 'authenticated',
      aal: 'aal1',
      amr: [{ method: 'password', timestamp: iat }],
      session_id: randomUUID(),
      is_anonymous: false,
      ...user.claims,
    },
    secret,
  );
}

export type JwtCheck =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' | 'wrong-role'; message: string };

/** Verifies an HS256 JWT, that it has not expired, and that its `role` is one of `roles`. */
export function verifyKeyJwt(token: string, secret: string, roles: readonly string[]): JwtCheck {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return { ok: false, reason: 'malformed', message: `Expected 3 parts in JWT; got ${parts.length}` };
  }
  const [header, body, signature] = parts as [string, string, string];
  if (!hmacSignatureValid(`${header}.${body}`, signature, secret)) {
    return { ok: false, reason: 'bad-signature', message: 'JWT cryptographic operation failed' };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    claims = undefined;
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    return { ok: false, reason: 'malformed', message: 'JWT claims are not a JSON object' };
  }
  return checkKeyClaims(claims as Record<string, unknown>, roles);
}

function checkKeyClaims(claims: Record<string, unknown>, roles: readonly string[]): JwtCheck {
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
    return { ok: false, reason: 'expired', message: 'JWT expired' };
  }
  if (typeof claims.role !== 'string' || !roles.includes(claims.role)) {
    return { ok: false, reason: 'wrong-role', message: 'This local stack serves only the service_role key' };
  }
  return { ok: true, claims };
}

/** Verifies an HS256 JWT and that it carries `role: service_role` (Realtime's and Storage's stand-ins serve no other). */
export function verifyServiceRoleJwt(token: string, secret: string): JwtCheck {
  return verifyKeyJwt(token, secret, ['service_role']);
}
