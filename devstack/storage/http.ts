/**
 * Request plumbing shared by the storage routes: who is calling (hosted Storage reads only the
 * `Authorization: Bearer` JWT, never the `apikey` header), and bounded JSON bodies.
 */
import type http from 'node:http';
import { verifyServiceRoleJwt } from '../keys.js';
import { ERRORS } from './errors.js';

export interface Caller {
  /** False for an anonymous caller on a route that allows one (public objects). */
  authenticated: boolean;
  claims: Record<string, unknown>;
}

/** The messages hosted Storage passes on from `jose` when it rejects a JWT. */
const JOSE_MESSAGES = {
  malformed: 'Invalid Compact JWS',
  'bad-signature': 'signature verification failed',
  expired: '"exp" claim timestamp check failed',
  'wrong-role': 'This local stack serves only the service_role key',
} as const;

export function bearerToken(req: http.IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  return header.replace(/^Bearer\s+/i, '');
}

/**
 * The JWT check of hosted Storage's routes: the header is required (a schema error otherwise),
 * an invalid token is AccessDenied. With `allowAnonymous` a missing or invalid token makes the
 * caller anonymous instead (hosted `allowInvalidJwt`).
 */
export function authenticate(req: http.IncomingMessage, secret: string, allowAnonymous = false): Caller {
  const token = bearerToken(req);
  if (token === undefined && !allowAnonymous) {
    throw ERRORS.validation("headers must have required property 'authorization'");
  }
  const check = verifyServiceRoleJwt(token ?? '', secret);
  if (check.ok) return { authenticated: true, claims: check.claims };
  if (allowAnonymous) return { authenticated: false, claims: { role: 'anon' } };
  throw ERRORS.accessDenied(JOSE_MESSAGES[check.reason]);
}

/** Fastify's default body limit (1 MiB), which hosted Storage keeps for JSON routes. */
const JSON_BODY_LIMIT = 1024 * 1024;

export async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > JSON_BODY_LIMIT) throw ERRORS.entityTooLarge('request body');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw ERRORS.validation('Body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw ERRORS.validation('body must be object');
  }
  return value as Record<string, unknown>;
}

/** Validation failures phrased as Fastify's (ajv) schema errors are. */
export const check = {
  required(body: Record<string, unknown>, name: string, where = 'body'): void {
    if (body[name] === undefined) throw ERRORS.validation(`${where} must have required property '${name}'`);
  },
  string(body: Record<string, unknown>, name: string, where = 'body'): string | undefined {
    const value = body[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw ERRORS.validation(`${where}/${name} must be string`);
    return value;
  },
  boolean(body: Record<string, unknown>, name: string, where = 'body'): boolean | undefined {
    const value = body[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw ERRORS.validation(`${where}/${name} must be boolean`);
    return value;
  },
  integer(body: Record<string, unknown>, name: string, minimum: number, where = 'body'): number | undefined {
    const raw = body[name];
    if (raw === undefined) return undefined;
    const value = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw ERRORS.validation(`${where}/${name} must be integer`);
    }
    if (value < minimum) throw ERRORS.validation(`${where}/${name} must be >= ${minimum}`);
    return value;
  },
  stringArray(body: Record<string, unknown>, name: string, where = 'body'): string[] | null | undefined {
    const value = body[name];
    if (value === undefined || value === null) return value;
    if (!Array.isArray(value)) throw ERRORS.validation(`${where}/${name} must be array`);
    value.forEach((item, i) => {
      if (typeof item !== 'string') throw ERRORS.validation(`${where}/${name}/${i} must be string`);
    });
    return value as string[];
  },
};

/** `x-metadata`: base64 of a JSON object (the client's `metadata` option). Unparseable: ignored, as hosted. */
export function parseUserMetadata(
  header: string | string[] | undefined,
): Record<string, unknown> | undefined {
  if (typeof header !== 'string') return undefined;
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
