/**
 * Key checks: Kong's `key-auth` (the `apikey` header, or query parameter) first, then PostgREST's JWT check
 * of `Authorization: Bearer`. Only the project's service_role key is accepted.
 */
import type http from 'node:http';
import { verifyServiceRoleJwt } from '../keys.js';
import { RestError } from './errors.js';

export interface AuthResult {
  claims: Record<string, unknown>;
  /** True when the key came from the `apikey` query parameter (it is then not a filter). */
  keyInQuery: boolean;
}

export function authenticate(req: http.IncomingMessage, search: URLSearchParams, secret: string): AuthResult {
  const header = req.headers.apikey;
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const fromQuery = fromHeader === undefined ? search.get('apikey') : null;
  const apikey = fromHeader ?? fromQuery;
  if (!apikey) throw new RestError(401, '', 'No API key found in request', { gateway: true });
  const keyCheck = verifyServiceRoleJwt(apikey, secret);
  if (!keyCheck.ok) throw new RestError(401, '', 'Invalid API key', { gateway: true });

  const authorization = req.headers.authorization;
  if (authorization === undefined) return { claims: keyCheck.claims, keyInQuery: fromQuery !== null };
  const match = /^Bearer\s+(.*)$/i.exec(authorization.trim());
  const check = match
    ? verifyServiceRoleJwt(match[1] ?? '', secret)
    : ({
        ok: false,
        reason: 'malformed',
        message: 'Invalid Authorization header: expected a Bearer token',
      } as const);
  if (check.ok) return { claims: check.claims, keyInQuery: fromQuery !== null };
  const code = check.reason === 'expired' ? 'PGRST303' : 'PGRST301';
  const description = check.message.replace(/["\\]/g, '');
  throw new RestError(401, code, check.message, {
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"` },
  });
}
