export interface TableConfig {
  schema: string;
  table: string;
  /** `schema.table` */
  qualifiedName: string;
  primaryKeys: string[];
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
    lookbackMs: number;
    batchSize: number;
    /** undefined = copy the whole table on the first run. */
    initialBackfillMs: number | undefined;
  };
  mode: SyncMode;
  realtime: boolean;
  loop: boolean;
  temporal: { address: string; namespace: string; taskQueue: string };
  logLevel: string;
  /** Absolute path of the env file actually read, if any. */
  envFile: string | undefined;
  /** Absolute path of the tables file. */
  tableConfigFile: string;
  tables: TableConfig[];
}

/** Everything that comes from environment variables (all of SyncConfig but the tables). */
export type EnvConfig = Omit<SyncConfig, 'tables'>;
