/**
 * Supabase API keys are HS256 JWTs signed with the project's JWT secret. The local stack
 * makes one secret per project and one service role key from it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

export function newJwtSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

/**
 * A service role key. `ref` is the project ref hosted keys carry: the local Realtime keeps its
 * quotas per ref (devstack/realtime/server.ts), so keys with different refs act as different
 * projects there (the test harness gives each test file its own).
 */
export function makeServiceRoleKey(secret: string, ref?: string): string {
  const iat = Math.floor(Date.now() / 1000);
  return signJwt(
    {
      iss: 'supabase-sync-devstack',
      ...(ref === undefined ? {} : { ref }),
      role: 'service_role',
      iat,
      exp: iat + 10 * 365 * 24 * 3600,
    },
    secret,
  );
}

export type JwtCheck =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' | 'wrong-role'; message: string };

/** Verifies an HS256 JWT and that it carries `role: service_role` (the only role the stand-in serves). */
export function verifyServiceRoleJwt(token: string, secret: string): JwtCheck {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return { ok: false, reason: 'malformed', message: `Expected 3 parts in JWT; got ${parts.length}` };
  }
  const [header, body, signature] = parts as [string, string, string];
  const expected = createHmac('sha256', secret).update(`${header}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature', message: 'JWT cryptographic operation failed' };
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'malformed', message: 'JWT claims are not JSON' };
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
    return { ok: false, reason: 'expired', message: 'JWT expired' };
  }
  if (claims.role !== 'service_role') {
    return { ok: false, reason: 'wrong-role', message: 'This local stack serves only the service_role key' };
  }
  return { ok: true, claims };
}
