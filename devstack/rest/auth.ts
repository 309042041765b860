/**
 * Who a request runs as. First the gateway's `key-auth` (Kong): the `apikey` header (or query
 * parameter) must be one of the project's keys, anon or service_role. Then PostgREST's JWT check of
 * `Authorization: Bearer <jwt>` (jwt.ts): any token signed with the project's JWT secret — a
 * signed-in user's access token included — whose `role` claim names the role the request runs as.
 * Without an `Authorization` header the gateway forwards the `apikey` as the bearer token, so the
 * key's role applies; an `Authorization` header that is not `Bearer …` gives PostgREST no token, so
 * the request is anonymous.
 */
import type http from 'node:http';
import { verifyKeyJwt } from '../keys.js';
import { RestError } from './errors.js';
import { ANON_ROLE, verifyBearerToken } from './jwt.js';

export interface AuthResult {
  /** The role the request runs as (`SET ROLE`): the JWT's `role` claim. */
  role: string;
  /** The claims PostgREST puts in `request.jwt.claims` (with `role`). */
  claims: Record<string, unknown>;
  /** True when the key came from the `apikey` query parameter (it is then not a filter). */
  keyInQuery: boolean;
}

/** The keys the gateway knows: the project's anon and service_role keys. */
const KEY_ROLES = [ANON_ROLE, 'service_role'] as const;

/** The token of an `Authorization` header as wai-extra's `extractBearerAuth` finds it, else undefined. */
function bearerToken(header: string): string | undefined {
  const match = /^(\S*)\s*([\s\S]*)$/.exec(header);
  return match && match[1]?.toLowerCase() === 'bearer' ? (match[2] ?? '') : undefined;
}

export function authenticate(req: http.IncomingMessage, search: URLSearchParams, secret: string): AuthResult {
  const header = req.headers.apikey;
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const fromQuery = fromHeader === undefined ? search.get('apikey') : null;
  const apikey = fromHeader ?? fromQuery;
  const keyInQuery = fromQuery !== null;
  if (!apikey) throw new RestError(401, '', 'No API key found in request', { gateway: true });
  const keyCheck = verifyKeyJwt(apikey, secret, KEY_ROLES);
  if (!keyCheck.ok) throw new RestError(401, '', 'Invalid API key', { gateway: true });

  const authorization = req.headers.authorization;
  if (authorization === undefined) {
    const role = keyCheck.claims.role as string;
    return { role, claims: keyCheck.claims, keyInQuery };
  }
  const token = bearerToken(authorization);
  if (token === undefined) return { role: ANON_ROLE, claims: { role: ANON_ROLE }, keyInQuery };
  return { ...verifyBearerToken(token, secret), keyInQuery };
}
