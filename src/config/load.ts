import path from 'node:path';
import type { SyncConfig } from '../contracts/config.js';
import { ConfigError } from './errors.js';
import { readEnvSources, type LoadOptions } from './env-sources.js';
import { SECRET_VARIABLES } from './env-values.js';
import { parseEnv } from './env.js';
import { readTablesFile } from './tables.js';
import { checkSchemaFollow } from './schema-follow.js';

/**
 * Loads the whole configuration: env file + environment, then the tables file. Synchronous; throws
 * ConfigError (one-line message) on the first problem. Does not modify process.env.
 */
export function loadConfig(options: LoadOptions = {}): SyncConfig {
  const sources = readEnvSources(options);
  const secrets = SECRET_VARIABLES.map((name) => sources.values[name]).filter(
    (v): v is string => v !== undefined && v.length >= 8,
  );
  try {
    const env = parseEnv(sources);
    const label = displayPath(sources.cwd, env.tableConfigFile);
    const { tables, patterns, storage, sequences, auth, schema } = readTablesFile(env.tableConfigFile, label);
    checkSchemaFollow(schema, env.targetDatabaseUrl, env.source.url, label);
    return {
      ...env,
      tables,
      ...(patterns ? { tablePatterns: patterns } : {}),
      ...(storage ? { storage } : {}),
      ...(sequences ? { sequences } : {}),
      ...(auth ? { auth } : {}),
      ...(schema ? { schema } : {}),
    };
  } catch (err) {
    // Belt and braces: a key pasted into the wrong variable must not end up in a message.
    if (err instanceof ConfigError && secrets.some((s) => err.message.includes(s))) {
      let message = err.message;
      for (const s of secrets) message = message.split(s).join('***');
      throw new ConfigError(message, { cause: err.cause });
    }
    throw err;
  }
}

/** `sync/tables.config.json` when inside cwd, the absolute path otherwise. */
function displayPath(cwd: string, absolute: string): string {
  const relative = path.relative(cwd, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative)
    ? relative.split(path.sep).join('/')
    : absolute;
}

/** A copy safe to print or log: service role keys and the target's database URL replaced by "***". */
export function redactedConfig(config: SyncConfig): SyncConfig {
  return {
    ...config,
    source: { ...config.source, serviceRoleKey: '***' },
    target: { ...config.target, serviceRoleKey: '***' },
    reconcile: { ...config.reconcile },
    discovery: { ...config.discovery },
    failover: { ...config.failover },
    ...(config.targetDatabaseUrl !== undefined ? { targetDatabaseUrl: '***' } : {}),
    ...(config.sourceDatabaseUrl !== undefined ? { sourceDatabaseUrl: '***' } : {}),
    temporal: {
      ...config.temporal,
      ...(config.temporal.apiKey !== undefined ? { apiKey: '***' } : {}),
      ...(config.temporal.tls ? { tls: { ...config.temporal.tls } } : {}),
    },
    metrics: { ...config.metrics },
    ...(config.payloadEncryption ? { payloadEncryption: { ...config.payloadEncryption, key: '***' } } : {}),
    tables: config.tables.map((t) => ({
      ...t,
      primaryKeys: [...t.primaryKeys],
      incrementalFields: [...t.incrementalFields],
    })),
  };
}
