/**
 * The value schemas environment variables are checked with, and the one-line message a failed check
 * becomes: `NAME="value" in <where>: <what is wrong>; <how to fix it>`. A secret's value is never shown.
 */
import net from 'node:net';
import { z } from 'zod';
import { ConfigError, show } from './errors.js';
import type { EnvSources } from './env-sources.js';

export const SECRET_VARIABLES = [
  'SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY',
  'SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY',
  'TEMPORAL_API_KEY',
  'SYNC_PAYLOAD_KEY',
  'SYNC_TARGET_DATABASE_URL',
  'SYNC_SOURCE_DATABASE_URL',
] as const;

// Every message below is a fragment that follows `NAME="value" in <where>: `.

export function wholeNumber(min: number, max: number, unit = '', hint = '') {
  const message = `must be a whole number${unit} from ${min} to ${max}${hint}`;
  return z
    .string()
    .regex(/^\d+$/, { error: message })
    .transform(Number)
    .pipe(z.number().int({ error: message }).min(min, { error: message }).max(max, { error: message }));
}

export function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

export function supabaseUrl() {
  const message = 'must be an http(s) URL like https://<project-ref>.supabase.co or http://127.0.0.1:54321';
  return z
    .url({ protocol: /^https?$/, error: message })
    .superRefine((value, ctx) => {
      const url = parseUrl(value);
      if (!url) return; // already reported by z.url
      if (url.username || url.password) {
        ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password; remove them' });
      } else if (url.search || url.hash) {
        ctx.addIssue({
          code: 'custom',
          message: 'must not have a query or fragment; use just the project URL',
        });
      }
    })
    .transform((value) => value.replace(/\/+$/, ''));
}

/** A Postgres connection URL (it holds the password: a secret, never shown). */
export function databaseUrl(role: 'source' | 'target' = 'target') {
  const ref = role === 'target' ? '<backup-ref>' : '<primary-ref>';
  return z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, {
      error: `must be the ${role}'s Postgres connection URL, postgresql://postgres:PASSWORD@db.${ref}.supabase.co:5432/postgres (Dashboard → Connect)`,
    })
    .refine((value) => parseUrl(value) !== undefined, {
      error: 'is not a valid URL (a password with @, : or / must be percent-encoded)',
    });
}

export function flag() {
  return z.stringbool({
    truthy: ['true', '1', 'yes'],
    falsy: ['false', '0', 'no'],
    case: 'insensitive',
    error: 'must be true or false (1/0 and yes/no also work)',
  });
}

export function noSpaces(what: string) {
  return z.string().regex(/^\S{1,255}$/, { error: `must be a ${what} without spaces` });
}

export function required(schema: z.ZodType<string, string>) {
  return z.string({ error: 'is not set' }).pipe(schema);
}

/** `ip:port` for the Prometheus endpoint (the SDK binds a socket address: no host names), or `off`. */
export function metricsAddress() {
  const message =
    'must be ip:port to serve Prometheus metrics on (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 for every interface; an IP address, not a host name), or off';
  return z.string().transform((value, ctx): string | null => {
    if (value.toLowerCase() === 'off') return null;
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(value);
    const host = match?.[1] ?? match?.[2];
    const port = Number(match?.[3]);
    const ok = host !== undefined && net.isIP(host) !== 0 && port >= 1 && port <= 65535;
    if (!ok) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return value;
  });
}

/** SYNC_DASHBOARD_ADDRESS: `port` (on 127.0.0.1), `ip:port`, or `off` (the default): the worker's dashboard page. */
export function dashboardAddress() {
  const message =
    'must be a port (served on 127.0.0.1), ip:port (e.g. 0.0.0.0:9470 for every interface: then a token is needed), or off';
  return z.string().transform((value, ctx): string | null => {
    if (value.toLowerCase() === 'off') return null;
    const full = /^\d{1,5}$/.test(value) ? `127.0.0.1:${value}` : value;
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(full);
    const host = match?.[1] ?? match?.[2];
    const port = Number(match?.[3]);
    if (host === undefined || net.isIP(host) === 0 || port < 0 || port > 65535) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return full;
  });
}

/** SYNC_PAYLOAD_KEY: 32 random bytes, base64 (standard or URL-safe alphabet). The value is never shown. */
export const payloadKey = z.string().transform((value, ctx): string => {
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : undefined;
  if (!bytes || bytes.length !== 32) {
    ctx.addIssue({
      code: 'custom',
      message: `must be 32 random bytes in base64 (44 characters${bytes ? `; this decodes to ${bytes.length} bytes` : '; this is not base64'}): generate one with \`openssl rand -base64 32\` (and keep it: without it the histories cannot be read)`,
    });
    return z.NEVER;
  }
  return bytes.toString('base64');
});

export const secret = z
  .string({ error: 'is not set' })
  .regex(/^\S+$/, { error: 'contains spaces or line breaks; paste the key again as one line' });

export const payloadKeyId = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, {
  error: 'must be a short name for the key (letters, digits, . _ : -; at most 64), e.g. 2026-01',
});

const EXAMPLES: Record<string, string> = {
  TEMPORAL_TLS_CERT_PATH: '/etc/supabase-sync/client.pem',
  TEMPORAL_TLS_KEY_PATH: '/etc/supabase-sync/client.key',
  SYNC_SOURCE_SUPABASE_URL: 'https://<primary-ref>.supabase.co',
  SYNC_TARGET_SUPABASE_URL: 'https://<backup-ref>.supabase.co',
  SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: '<service role key of the primary project>',
  SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: '<service role key of the backup project>',
  SYNC_PAYLOAD_KEY: '<output of: openssl rand -base64 32>',
  SYNC_TARGET_DATABASE_URL: 'postgresql://postgres:PASSWORD@db.<backup-ref>.supabase.co:5432/postgres',
};

/** Turns the first zod issue into the one-line message. */
export function envError(issues: readonly z.core.$ZodIssue[], sources: EnvSources): ConfigError {
  const issue = issues[0];
  const name = typeof issue?.path[0] === 'string' ? issue.path[0] : 'environment';
  const value = sources.values[name];
  const fragment = issue?.message ?? 'is not valid';
  const isSecret = (SECRET_VARIABLES as readonly string[]).includes(name);

  if (value === undefined) {
    const where = sources.envFile
      ? `set it in ${sources.envFileLabel} or the environment`
      : `set it in the environment or create ${sources.envFileLabel} (see sync/env.sync.example)`;
    const example = EXAMPLES[name];
    return new ConfigError(
      `${name} ${fragment === 'is not set' ? 'is not set' : fragment}; ${where}${example ? `, e.g. ${name}=${example}` : ''}`,
    );
  }
  const where = sources.origin[name] === 'file' ? sources.envFileLabel : 'the environment';
  // A URL's user:password part (e.g. a database URL pasted into a Supabase URL) is not shown.
  const shown = isSecret
    ? name
    : `${name}=${show(value.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^@/\s]*@/, '$1***@'))}`;
  return new ConfigError(`${shown} in ${where}: ${fragment}`);
}
