import type { Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import type { Logger } from '../contracts/logger.js';
import type { SourceProject } from '../contracts/ports.js';
import type { SyncSettings } from '../contracts/table-sync.js';
import type { LagHistory } from '../temporal/lag-history.js';
import type { SyncWorker } from '../worker.js';
import type { ResolvedTables } from './resolve-tables.js';

/** What the steps of `npm run sync` share once its worker runs (run-sync.ts). */
export interface RunContext {
  config: SyncConfig;
  logger: Logger;
  client: Client;
  settings: SyncSettings;
  source: SourceProject;
  resolved: ResolvedTables;
  buckets: string[];
  sync: SyncWorker;
  /** Aborted when a stop was asked for (a signal, or the caller's AbortSignal). */
  stopSignal: AbortSignal;
  /** Keep the workflows of tables and buckets no longer configured running. */
  keepUnconfigured: boolean;
}

/**
 * Serves the dashboard page from the worker (src/cli/dashboard-server.ts `serveDashboard`, handed
 * down by the entry point: the engine does not reach up to the CLI's code).
 */
export type DashboardStarter = (input: {
  config: SyncConfig;
  client: Client;
  history: LagHistory;
  address: string;
  token?: string;
}) => Promise<{ url: string; close(): Promise<void> }>;
