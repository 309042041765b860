/**
 * Environment variables: read from an env file (default `.env.sync`, or SYNC_ENV_PATH) with dotenv's
 * `parse`, overridden by the real environment, then validated with zod. process.env is never
 * modified. Empty (or whitespace-only) values count as unset.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { ConfigError, show } from './errors.js';
import type { EnvConfig } from './types.js';

export const DEFAULT_ENV_FILE = '.env.sync';
export const DEFAULT_TABLE_CONFIG = 'sync/tables.config.json';
/** Where the worker serves Prometheus metrics unless SYNC_METRICS_ADDRESS says otherwise. */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464';

export const SECRET_VARIABLES = [
  'SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY',
  'SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY',
  'TEMPORAL_API_KEY',
  'SYNC_PAYLOAD_KEY',
] as const;

/** Where `npm run codec-server` listens unless SYNC_CODEC_ADDRESS says otherwise. */
export const DEFAULT_CODEC_ADDRESS = '127.0.0.1:8888';
/** Temporal UI origins the codec server answers (the dev server's UI, and docker compose's). */
export const DEFAULT_CODEC_CORS_ORIGINS = [
  'http://localhost:8233',
  'http://127.0.0.1:8233',
  'http://localhost:8080',
  'http://127.0.0.1:8080',
] as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * SYNC_RECONCILE_INTERVAL_LIVE_MS's default: while a table's Realtime feed is live, reconciliation
 * is the safety net and runs every 5 minutes (or every SYNC_RECONCILE_INTERVAL_MS, if longer).
 */
export const DEFAULT_RECONCILE_INTERVAL_MS = 30_000;
export const DEFAULT_RECONCILE_INTERVAL_LIVE_MS = 300_000;

/** setTimeout's limit. */
const MAX_TIMER_MS = 2_147_483_647;

export interface LoadOptions {
  /** Defaults to process.env (read only). */
  env?: NodeJS.ProcessEnv;
  /** Defaults to process.cwd(). Relative paths (env file, tables file) resolve against it. */
  cwd?: string;
}

export interface EnvSources {
  /** Merged values: real environment over the env file; empty values left out. */
  values: Record<string, string>;
  /** Where each merged value came from. */
  origin: Record<string, 'file' | 'environment'>;
  /** Absolute path of the env file read, if one was. */
  envFile: string | undefined;
  /** The env file as named in messages (`.env.sync` or SYNC_ENV_PATH as given). */
  envFileLabel: string;
  cwd: string;
}

/** Reads the env file (if any) and merges it under the real environment. */
export function readEnvSources(options: LoadOptions = {}): EnvSources {
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const explicit = env.SYNC_ENV_PATH?.trim();
  const envFileLabel = explicit ? explicit : DEFAULT_ENV_FILE;
  const absolute = path.resolve(cwd, envFileLabel);

  let fileValues: Record<string, string> = {};
  let envFile: string | undefined;
  let text: string | undefined;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (explicit) {
      const why =
        code === 'ENOENT'
          ? `file not found (${absolute})`
          : code === 'EISDIR'
            ? `is a directory (${absolute})`
            : `cannot be read (${code ?? (err as Error).message})`;
      throw new ConfigError(
        `SYNC_ENV_PATH=${show(explicit)}: ${why}; create it (see sync/env.sync.example) or unset SYNC_ENV_PATH to use ${DEFAULT_ENV_FILE}`,
        { cause: err },
      );
    }
    if (code !== 'ENOENT') {
      throw new ConfigError(
        `${DEFAULT_ENV_FILE}: cannot be read (${code ?? (err as Error).message}); fix its permissions or remove it`,
        { cause: err },
      );
    }
  }
  if (text !== undefined) {
    fileValues = parseDotenv(text);
    envFile = absolute;
  }

  const values: Record<string, string> = {};
  const origin: Record<string, 'file' | 'environment'> = {};
  for (const [name, raw] of Object.entries(fileValues)) {
    const value = raw.trim();
    if (value !== '') {
      values[name] = value;
      origin[name] = 'file';
    }
  }
  for (const [name, raw] of Object.entries(env)) {
    const value = raw?.trim();
    if (value !== undefined && value !== '') {
      values[name] = value;
      origin[name] = 'environment';
    }
  }
  return { values, origin, envFile, envFileLabel, cwd };
}

// ---------------------------------------------------------------------------------------------
// Schemas. Every message is a fragment that follows `NAME="value" in <where>: `.

function wholeNumber(min: number, max: number, unit = '', hint = '') {
  const message = `must be a whole number${unit} from ${min} to ${max}${hint}`;
  return z
    .string()
    .regex(/^\d+$/, { error: message })
    .transform(Number)
    .pipe(z.number().int({ error: message }).min(min, { error: message }).max(max, { error: message }));
}

function supabaseUrl() {
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

function flag() {
  return z.stringbool({
    truthy: ['true', '1', 'yes'],
    falsy: ['false', '0', 'no'],
    case: 'insensitive',
    error: 'must be true or false (1/0 and yes/no also work)',
  });
}

function noSpaces(what: string) {
  return z.string().regex(/^\S{1,255}$/, { error: `must be a ${what} without spaces` });
}

function required(schema: z.ZodType<string, string>) {
  return z.string({ error: 'is not set' }).pipe(schema);
}

/** `ip:port` for the Prometheus endpoint (the SDK binds a socket address: no host names), or `off`. */
function metricsAddress() {
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

/** SYNC_PAYLOAD_KEY: 32 random bytes, base64 (standard or URL-safe alphabet). The value is never shown. */
const payloadKey = z.string().transform((value, ctx): string => {
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

const secret = z
  .string({ error: 'is not set' })
  .regex(/^\S+$/, { error: 'contains spaces or line breaks; paste the key again as one line' });

const EnvSchema = z
  .object({
    SYNC_SOURCE_SUPABASE_URL: required(supabaseUrl()),
    SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: secret,
    SYNC_TARGET_SUPABASE_URL: required(supabaseUrl()),
    SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: secret,
    SYNC_RECONCILE_INTERVAL_MS: wholeNumber(1, MAX_TIMER_MS, ' of milliseconds').default(
      DEFAULT_RECONCILE_INTERVAL_MS,
    ),
    SYNC_RECONCILE_INTERVAL_LIVE_MS: wholeNumber(
      0,
      MAX_TIMER_MS,
      ' of milliseconds',
      ', or 0 for the same as SYNC_RECONCILE_INTERVAL_MS',
    ).default(DEFAULT_RECONCILE_INTERVAL_LIVE_MS),
    SYNC_RECONCILE_LOOKBACK_MS: wholeNumber(0, Number.MAX_SAFE_INTEGER, ' of milliseconds').default(300_000),
    SYNC_RECONCILE_BATCH_SIZE: wholeNumber(1, 10_000).default(500),
    SYNC_INITIAL_BACKFILL_MS: wholeNumber(
      0,
      Number.MAX_SAFE_INTEGER,
      ' of milliseconds',
      ', or unset to copy the whole table on the first run',
    ).optional(),
    SYNC_TABLE_CONFIG: z.string().default(DEFAULT_TABLE_CONFIG),
    SYNC_MODE: z
      .string()
      .toLowerCase()
      .pipe(z.enum(['default', 'reconcile'], { error: 'must be "default" or "reconcile"' }))
      .default('default'),
    SYNC_REALTIME: flag().default(true),
    SYNC_LOOP: flag().default(true),
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/, {
        error: 'must be host:port, e.g. 127.0.0.1:7233 (no scheme, no spaces)',
      })
      .default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: noSpaces('Temporal namespace').default('default'),
    TEMPORAL_TASK_QUEUE: noSpaces('task queue name').default('supabase-sync'),
    TEMPORAL_API_KEY: secret.optional(),
    TEMPORAL_TLS_CERT_PATH: z.string().optional(),
    TEMPORAL_TLS_KEY_PATH: z.string().optional(),
    SYNC_METRICS_ADDRESS: metricsAddress().default(DEFAULT_METRICS_ADDRESS),
    SYNC_PAYLOAD_KEY: payloadKey.optional(),
    SYNC_PAYLOAD_KEY_ID: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, {
        error: 'must be a short name for the key (letters, digits, . _ : -; at most 64), e.g. 2026-01',
      })
      .optional(),
    SYNC_LOG_LEVEL: z
      .string()
      .toLowerCase()
      .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }))
      .default('info'),
  })
  .superRefine((env, ctx) => {
    if (sameUrl(env.SYNC_SOURCE_SUPABASE_URL, env.SYNC_TARGET_SUPABASE_URL)) {
      ctx.addIssue({
        code: 'custom',
        path: ['SYNC_TARGET_SUPABASE_URL'],
        message:
          'is the same project as SYNC_SOURCE_SUPABASE_URL; the target must be a different (backup) project',
      });
    }
    if (env.SYNC_PAYLOAD_KEY_ID !== undefined && env.SYNC_PAYLOAD_KEY === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SYNC_PAYLOAD_KEY_ID'],
        message:
          'is set but SYNC_PAYLOAD_KEY is not: set SYNC_PAYLOAD_KEY (openssl rand -base64 32) to encrypt payloads, or unset SYNC_PAYLOAD_KEY_ID',
      });
    }
    const pair = [
      ['TEMPORAL_TLS_CERT_PATH', env.TEMPORAL_TLS_CERT_PATH],
      ['TEMPORAL_TLS_KEY_PATH', env.TEMPORAL_TLS_KEY_PATH],
    ] as const;
    for (const [index, [name, value]] of pair.entries()) {
      const [otherName, otherValue] = pair[1 - index]!;
      if (value === undefined && otherValue !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `must be set together with ${otherName} (mTLS needs the client certificate and its private key, PEM files)`,
        });
      }
    }
  });

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function sameUrl(a: string, b: string): boolean {
  const norm = (s: string) => {
    const url = parseUrl(s);
    if (!url) return s;
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`.toLowerCase();
  };
  return norm(a) === norm(b);
}

const EXAMPLES: Record<string, string> = {
  TEMPORAL_TLS_CERT_PATH: '/etc/supabase-sync/client.pem',
  TEMPORAL_TLS_KEY_PATH: '/etc/supabase-sync/client.key',
  SYNC_SOURCE_SUPABASE_URL: 'https://<primary-ref>.supabase.co',
  SYNC_TARGET_SUPABASE_URL: 'https://<backup-ref>.supabase.co',
  SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY: '<service role key of the primary project>',
  SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY: '<service role key of the backup project>',
  SYNC_PAYLOAD_KEY: '<output of: openssl rand -base64 32>',
};

/** Turns the first zod issue into the one-line message. */
function envError(issues: readonly z.core.$ZodIssue[], sources: EnvSources): ConfigError {
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

/**
 * Reads and validates every environment variable (not the tables file itself). Throws ConfigError
 * with a one-line message for the first problem.
 */
export function loadEnv(options: LoadOptions = {}): EnvConfig {
  const sources = readEnvSources(options);
  return parseEnv(sources);
}

/** Validates already-merged values (see readEnvSources). */
export function parseEnv(sources: EnvSources): EnvConfig {
  const result = EnvSchema.safeParse(sources.values);
  if (!result.success) throw envError(result.error.issues, sources);
  const env = result.data;
  const tls =
    env.TEMPORAL_TLS_CERT_PATH !== undefined && env.TEMPORAL_TLS_KEY_PATH !== undefined
      ? {
          certPath: pemFile('TEMPORAL_TLS_CERT_PATH', 'the client certificate', sources),
          keyPath: pemFile('TEMPORAL_TLS_KEY_PATH', "the client certificate's private key", sources),
        }
      : undefined;
  return {
    source: { url: env.SYNC_SOURCE_SUPABASE_URL, serviceRoleKey: env.SYNC_SOURCE_SUPABASE_SERVICE_ROLE_KEY },
    target: { url: env.SYNC_TARGET_SUPABASE_URL, serviceRoleKey: env.SYNC_TARGET_SUPABASE_SERVICE_ROLE_KEY },
    reconcile: {
      intervalMs: env.SYNC_RECONCILE_INTERVAL_MS,
      liveIntervalMs: env.SYNC_RECONCILE_INTERVAL_LIVE_MS,
      lookbackMs: env.SYNC_RECONCILE_LOOKBACK_MS,
      batchSize: env.SYNC_RECONCILE_BATCH_SIZE,
      initialBackfillMs: env.SYNC_INITIAL_BACKFILL_MS,
    },
    mode: env.SYNC_MODE,
    realtime: env.SYNC_REALTIME,
    loop: env.SYNC_LOOP,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      ...(env.TEMPORAL_API_KEY !== undefined ? { apiKey: env.TEMPORAL_API_KEY } : {}),
      ...(tls ? { tls } : {}),
    },
    metrics: { address: env.SYNC_METRICS_ADDRESS },
    ...(env.SYNC_PAYLOAD_KEY !== undefined
      ? { payloadEncryption: { key: env.SYNC_PAYLOAD_KEY, keyId: env.SYNC_PAYLOAD_KEY_ID ?? 'default' } }
      : {}),
    logLevel: env.SYNC_LOG_LEVEL,
    envFile: sources.envFile,
    tableConfigFile: path.resolve(sources.cwd, env.SYNC_TABLE_CONFIG),
  };
}

/**
 * A TLS file named by a variable: resolved against cwd, and checked now (readable, PEM) so a wrong
 * path is one clear line at start rather than a TLS handshake error later. Its contents are never shown.
 */
function pemFile(name: string, what: string, sources: EnvSources): string {
  const given = sources.values[name] ?? '';
  const absolute = path.resolve(sources.cwd, given);
  const where = sources.origin[name] === 'file' ? sources.envFileLabel : 'the environment';
  const fail = (why: string) =>
    new ConfigError(`${name}=${show(given)} in ${where}: ${why}; point it at ${what} (a PEM file)`);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(
      code === 'ENOENT'
        ? `file not found (${absolute})`
        : code === 'EISDIR'
          ? `is a directory (${absolute})`
          : `cannot be read (${code ?? (err as Error).message})`,
    );
  }
  if (!text.includes('-----BEGIN ')) throw fail(`is not a PEM file (no "-----BEGIN" line in ${absolute})`);
  return absolute;
}

export interface CodecServerEnv {
  payloadEncryption: { key: string; keyId: string };
  /** host:port to listen on (SYNC_CODEC_ADDRESS). */
  host: string;
  port: number;
  /** Origins allowed to call it from a browser (SYNC_CODEC_CORS_ORIGINS, comma-separated). */
  corsOrigins: string[];
}

const CodecServerSchema = z.object({
  SYNC_PAYLOAD_KEY: z.string({ error: 'is not set' }).pipe(payloadKey),
  SYNC_PAYLOAD_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,64}$/, {
      error: 'must be a short name for the key (letters, digits, . _ : -; at most 64), e.g. 2026-01',
    })
    .default('default'),
  SYNC_CODEC_ADDRESS: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/, {
      error: 'must be host:port to listen on, e.g. 127.0.0.1:8888',
    })
    .default(DEFAULT_CODEC_ADDRESS),
  SYNC_CODEC_CORS_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((o) => o.trim().replace(/\/+$/, ''))
        .filter((o) => o !== ''),
    )
    .pipe(
      z.array(
        z.string().regex(/^https?:\/\/[^/\s]+$/, {
          error:
            'must be a comma-separated list of origins like http://localhost:8233 (scheme://host:port, no path)',
        }),
      ),
    )
    .optional(),
});

/**
 * The codec server's configuration (`npm run codec-server`): only the key, where to listen and
 * which Temporal UI origins may call it; read from the same env file and environment as the worker.
 */
export function loadCodecServerEnv(options: LoadOptions = {}): CodecServerEnv {
  const sources = readEnvSources(options);
  const result = CodecServerSchema.safeParse(sources.values);
  if (!result.success) throw envError(result.error.issues, sources);
  const env = result.data;
  const split = /^(.*):(\d+)$/.exec(env.SYNC_CODEC_ADDRESS)!;
  const port = Number(split[2]);
  if (port < 1 || port > 65535) {
    throw new ConfigError(
      `SYNC_CODEC_ADDRESS=${show(env.SYNC_CODEC_ADDRESS)}: the port must be from 1 to 65535`,
    );
  }
  return {
    payloadEncryption: { key: env.SYNC_PAYLOAD_KEY, keyId: env.SYNC_PAYLOAD_KEY_ID },
    host: split[1]!.replace(/^\[(.*)\]$/, '$1'),
    port,
    corsOrigins: env.SYNC_CODEC_CORS_ORIGINS ?? [...DEFAULT_CODEC_CORS_ORIGINS],
  };
}
