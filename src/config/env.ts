/**
 * The worker's environment variables (all of the configuration but the tables file), read from the
 * env file and the environment (env-sources.ts) and validated with zod (env-values.ts).
 */
import path from 'node:path';
import fs from 'node:fs';
import { z } from 'zod';
import type { EnvConfig } from '../contracts/config.js';
import { ConfigError, show } from './errors.js';
import { readEnvSources, type EnvSources, type LoadOptions } from './env-sources.js';
import {
  envError,
  flag,
  databaseUrl,
  dashboardAddress,
  metricsAddress,
  noSpaces,
  parseUrl,
  payloadKey,
  payloadKeyId,
  required,
  secret,
  supabaseUrl,
  wholeNumber,
} from './env-values.js';
import { errorMessage } from '../core/errors.js';
import { directUrlProblem, transactionPoolerProblem } from './database-urls.js';

export const DEFAULT_TABLE_CONFIG = 'sync/tables.config.json';
/** How often a running worker looks for tables created on the source (src/engine/discovery.ts). */
export const DEFAULT_DISCOVERY_INTERVAL_MS = 60_000;
/** How often a running worker reads the projects' schema fingerprints (src/engine/schema-watch.ts); 0: never. */
export const DEFAULT_SCHEMA_WATCH_INTERVAL_MS = 60_000;
/** The shortest schema watch interval: each look reads both projects' catalogs. */
const MIN_SCHEMA_WATCH_INTERVAL_MS = 1000;
/**
 * With several workers on a task queue, how long a dead worker's heartbeats may be missing before
 * its peers take its feeds over (src/engine/presence.ts). Each worker heartbeats every 80% of it.
 */
export const DEFAULT_FAILOVER_AFTER_MS = 4000;
/** Where the worker serves Prometheus metrics unless SYNC_METRICS_ADDRESS says otherwise. */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * SYNC_RECONCILE_INTERVAL_LIVE_MS's default: while a table's Realtime feed is live, reconciliation
 * is the safety net and runs every 5 minutes (or every SYNC_RECONCILE_INTERVAL_MS, if longer).
 */
export const DEFAULT_RECONCILE_INTERVAL_MS = 30_000;
export const DEFAULT_RECONCILE_INTERVAL_LIVE_MS = 300_000;

/** SYNC_DIRECT_COPY_PARALLEL's default: key ranges a direct copy moves at once (one session each side). */
export const DEFAULT_DIRECT_COPY_PARALLEL = 4;

/** setTimeout's limit. */
const MAX_TIMER_MS = 2_147_483_647;

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
    SYNC_DISCOVERY_INTERVAL_MS: wholeNumber(1000, MAX_TIMER_MS, ' of milliseconds').default(
      DEFAULT_DISCOVERY_INTERVAL_MS,
    ),
    SYNC_FAILOVER_AFTER_MS: wholeNumber(1000, 600_000, ' of milliseconds').default(DEFAULT_FAILOVER_AFTER_MS),
    SYNC_SCHEMA_WATCH_INTERVAL_MS: wholeNumber(
      0,
      MAX_TIMER_MS,
      ' of milliseconds',
      ', or 0 to turn the schema watch off',
    ).default(DEFAULT_SCHEMA_WATCH_INTERVAL_MS),
    SYNC_TARGET_DATABASE_URL: databaseUrl('target').optional(),
    SYNC_SOURCE_DATABASE_URL: databaseUrl('source').optional(),
    SYNC_DIRECT_COPY_PARALLEL: wholeNumber(1, 16, ' of key ranges copied at once').default(
      DEFAULT_DIRECT_COPY_PARALLEL,
    ),
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
    SYNC_DASHBOARD_ADDRESS: dashboardAddress().optional(),
    SYNC_DASHBOARD_TOKEN: secret.optional(),
    TEMPORAL_UI_URL: z
      .string()
      .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, { error: "must be the Temporal UI's http(s):// address" })
      .optional(),
    SYNC_PAYLOAD_KEY: payloadKey.optional(),
    SYNC_PAYLOAD_KEY_ID: payloadKeyId.optional(),
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
    const direct = directUrlProblem(env);
    if (direct) ctx.addIssue({ code: 'custom', path: ['SYNC_SOURCE_DATABASE_URL'], message: direct });
    for (const name of ['SYNC_SOURCE_DATABASE_URL', 'SYNC_TARGET_DATABASE_URL'] as const) {
      const pooler = transactionPoolerProblem(env[name]);
      if (pooler) ctx.addIssue({ code: 'custom', path: [name], message: pooler });
    }
    const watch = env.SYNC_SCHEMA_WATCH_INTERVAL_MS;
    if (watch > 0 && watch < MIN_SCHEMA_WATCH_INTERVAL_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SYNC_SCHEMA_WATCH_INTERVAL_MS'],
        message: `must be 0 (off) or at least ${MIN_SCHEMA_WATCH_INTERVAL_MS} milliseconds`,
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

function sameUrl(a: string, b: string): boolean {
  const norm = (s: string) => {
    const url = parseUrl(s);
    if (!url) return s;
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`.toLowerCase();
  };
  return norm(a) === norm(b);
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
    discovery: { intervalMs: env.SYNC_DISCOVERY_INTERVAL_MS },
    failover: { afterMs: env.SYNC_FAILOVER_AFTER_MS },
    schemaWatch: { intervalMs: env.SYNC_SCHEMA_WATCH_INTERVAL_MS },
    ...(env.SYNC_TARGET_DATABASE_URL !== undefined
      ? { targetDatabaseUrl: env.SYNC_TARGET_DATABASE_URL }
      : {}),
    ...(env.SYNC_SOURCE_DATABASE_URL !== undefined
      ? { sourceDatabaseUrl: env.SYNC_SOURCE_DATABASE_URL, directParallel: env.SYNC_DIRECT_COPY_PARALLEL }
      : {}),
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
    ...(env.SYNC_DASHBOARD_ADDRESS !== null && env.SYNC_DASHBOARD_ADDRESS !== undefined
      ? {
          dashboard: {
            address: env.SYNC_DASHBOARD_ADDRESS,
            ...(env.SYNC_DASHBOARD_TOKEN !== undefined ? { token: env.SYNC_DASHBOARD_TOKEN } : {}),
          },
        }
      : {}),
    ...(env.TEMPORAL_UI_URL !== undefined ? { temporalUi: env.TEMPORAL_UI_URL.replace(/\/+$/, '') } : {}),
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
          : `cannot be read (${code ?? errorMessage(err)})`,
    );
  }
  if (!text.includes('-----BEGIN ')) throw fail(`is not a PEM file (no "-----BEGIN" line in ${absolute})`);
  return absolute;
}
