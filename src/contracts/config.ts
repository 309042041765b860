/**
 * The configuration as the sync uses it: the tables (TableConfig), the settings from the
 * environment (EnvConfig) and both together (SyncConfig). Parsing and validating it is
 * src/config/'s (zod); this is only its shape.
 */

export interface TableConfig {
  schema: string;
  table: string;
  /** `schema.table` */
  qualifiedName: string;
  primaryKeys: string[];
  /**
   * The tables file gave no primaryKeys: the key comes from the source's catalog when the worker
   * resolves the tables (src/engine/resolve-tables.ts); `primaryKeys` holds the default until then.
   */
  primaryKeysFromCatalog?: boolean;
  /** Ordered; the first column that exists on the table is used at runtime. */
  incrementalFields: string[];
  realtime: boolean;
  reconcile: boolean;
}

export type SyncMode = 'default' | 'reconcile';

export interface SyncConfig {
  source: { url: string; serviceRoleKey: string };
  target: { url: string; serviceRoleKey: string };
  reconcile: {
    intervalMs: number;
    /**
     * SYNC_RECONCILE_INTERVAL_LIVE_MS: the interval while the table's Realtime feed is live, if longer
     * than `intervalMs` (0: the same). Undefined: DEFAULT_RECONCILE_INTERVAL_LIVE_MS.
     */
    liveIntervalMs?: number;
    lookbackMs: number;
    batchSize: number;
    /** undefined = copy the whole table on the first run. */
    initialBackfillMs: number | undefined;
  };
  /** SYNC_DISCOVERY_INTERVAL_MS: how often a running worker looks for new tables on the source. */
  discovery: { intervalMs: number };
  /** SYNC_FAILOVER_AFTER_MS: a peer worker silent this long is gone (its feeds are taken over). */
  failover: { afterMs: number };
  /**
   * SYNC_SCHEMA_WATCH_INTERVAL_MS: how often a running worker reads the projects' schema fingerprints
   * (src/engine/schema-watch.ts); 0: never. Undefined: DEFAULT_SCHEMA_WATCH_INTERVAL_MS.
   */
  schemaWatch?: { intervalMs: number };
  /**
   * SYNC_TARGET_DATABASE_URL (a secret: it holds the password): the target's Postgres URL, through
   * which `"schema": {"follow": true}` applies what is missing there, and the direct path writes.
   */
  targetDatabaseUrl?: string;
  /**
   * SYNC_SOURCE_DATABASE_URL (a secret too): the source's Postgres URL. With targetDatabaseUrl, the
   * first copy, `backfill --full` and `verify` go through COPY between the databases
   * (src/activities/direct-copy.ts), SYNC_DIRECT_COPY_PARALLEL key ranges at once (`directParallel`).
   */
  sourceDatabaseUrl?: string;
  directParallel?: number;
  mode: SyncMode;
  realtime: boolean;
  loop: boolean;
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    /** TEMPORAL_API_KEY (a secret, like the service role keys): sent as a bearer token, over TLS. */
    apiKey?: string;
    /** mTLS client certificate and key (absolute paths; PEM), e.g. for Temporal Cloud. */
    tls?: { certPath: string; keyPath: string };
  };
  /**
   * SYNC_PAYLOAD_KEY (a secret: base64 of 32 bytes) and SYNC_PAYLOAD_KEY_ID: payloads entering
   * Temporal history are encrypted with AES-256-GCM (src/temporal/codec.ts). Absent: not encrypted.
   */
  payloadEncryption?: { key: string; keyId: string };
  /** Prometheus scrape address (`ip:port`), or null when SYNC_METRICS_ADDRESS=off. */
  metrics: { address: string | null };
  /**
   * SYNC_DASHBOARD_ADDRESS (`ip:port`): the worker serves the dashboard page there; absent: off.
   * SYNC_DASHBOARD_TOKEN (a secret, never printed): the token it needs off loopback (else a random one, printed).
   */
  dashboard?: { address: string; token?: string };
  /** TEMPORAL_UI_URL: the Temporal UI, for the dashboard's links (default: the dev server's, port + 1000). */
  temporalUi?: string;
  logLevel: string;
  /** Absolute path of the env file actually read, if any. */
  envFile: string | undefined;
  /** Absolute path of the tables file. */
  tableConfigFile: string;
  /** The tables the file lists (with patterns, more are found on the source: src/engine/resolve-tables.ts). */
  tables: TableConfig[];
  /** `include`/`exclude` of the tables file, when it has them. */
  tablePatterns?: TablePatterns;
  /** The tables file's `storage` key: the buckets whose objects are synced (docs/storage.md). */
  storage?: StorageConfig;
  /** `sequences` of the tables file (`schema.name`): kept ahead on the target like the tables' own. */
  sequences?: string[];
  /** `"auth": true` in the tables file: auth.users and auth.identities are synced too. */
  auth?: boolean;
  /** The tables file's `schema` key: `follow` applies what is missing on the target by itself. */
  schema?: SchemaConfig;
}

/** `"schema": {"follow": true}` (src/config/schema-follow.ts, src/core/schema-follow.ts). */
export interface SchemaConfig {
  follow: boolean;
}

/**
 * Table patterns of the tables file (`"include": ["public.*"]`, `"exclude": ["public.audit_*"]`):
 * `schema.table` with `*` and `?` as wildcards (src/config/table-patterns.ts).
 */
export interface TablePatterns {
  include: string[];
  exclude: string[];
}

/**
 * The `storage` key of the tables file (docs/storage.md): `"*"`, every bucket of the source;
 * otherwise the bucket ids (src/config/storage.ts).
 */
export interface StorageConfig {
  buckets: string[] | '*';
}

/** Everything that comes from environment variables (all of SyncConfig but the tables). */
export type EnvConfig = Omit<SyncConfig, 'tables'>;
