export { ConfigError } from './errors.js';
export {
  DEFAULT_CODEC_ADDRESS,
  DEFAULT_CODEC_CORS_ORIGINS,
  loadCodecServerEnv,
  type CodecServerEnv,
} from './codec-env.js';
export { DEFAULT_ENV_FILE, readEnvSources, type EnvSources, type LoadOptions } from './env-sources.js';
export {
  DEFAULT_METRICS_ADDRESS,
  DEFAULT_RECONCILE_INTERVAL_LIVE_MS,
  DEFAULT_RECONCILE_INTERVAL_MS,
  DEFAULT_SCHEMA_WATCH_INTERVAL_MS,
  DEFAULT_TABLE_CONFIG,
  LOG_LEVELS,
  loadEnv,
  parseEnv,
} from './env.js';
export { isValidIdentifier, parseQualifiedName, MAX_IDENTIFIER_BYTES } from './identifiers.js';
export { DEFAULT_INCREMENTAL_FIELDS, DEFAULT_PRIMARY_KEYS } from './tables-schema.js';
export { parseTablesConfig, parseTablesFile, readTablesFile, type TablesFile } from './tables.js';
export { bucketNameProblem, parseStorageConfig } from './storage.js';
export { selectedByPatterns } from './table-patterns.js';
export { loadConfig, redactedConfig } from './load.js';
export { projectsLine } from './projects-line.js';
