/**
 * The start-up steps of `npm run sync` before its worker runs (run-sync.ts): Temporal reached (and
 * not a target that was promoted), then the tables and buckets to sync resolved against the source
 * and delete tracking enabled. Each step that fails logs one line saying why and returns null.
 */
import type { Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import type { Logger } from '../contracts/logger.js';
import type { SourceProject } from '../contracts/ports.js';
import type { SyncSettings } from '../contracts/table-sync.js';
import { errorMessage } from '../core/errors.js';
import { connectStorageSource } from '../supabase/storage-source.js';
import { connectClient } from '../temporal/connection.js';
import { reportUnsynced } from './discovery.js';
import { promotedTargetRefusal } from './failover-record.js';
import { resolveTables, type ResolvedTables } from './resolve-tables.js';
import { resolveBuckets } from './storage.js';
import { enableDeleteTracking, logReports } from './tables.js';

/** A client of a Temporal server that answers, unless this target was promoted (failover). */
export async function connectTemporal(config: SyncConfig, logger: Logger): Promise<Client | null> {
  let client: Client;
  try {
    client = await connectClient(config);
    await client.connection.workflowService.getSystemInfo({});
  } catch (error) {
    logger.error(
      { temporal: config.temporal.address },
      `Temporal is not reachable at ${config.temporal.address} (${errorMessage(error)}): start one (npm run stack, or temporal server start-dev) or set TEMPORAL_ADDRESS`,
    );
    return null;
  }
  const promoted = await promotedTargetRefusal(client, config).catch(() => null);
  if (promoted) {
    logger.error(promoted);
    await client.connection.close();
    return null;
  }
  return client;
}

export interface Work {
  /** The configuration with the tables its entries and patterns select on the source. */
  config: SyncConfig;
  resolved: ResolvedTables;
  buckets: string[];
}

/** The tables file's entries and patterns against the source's catalog (keys it does not give), and the buckets. */
export async function resolveWork(
  config: SyncConfig,
  source: SourceProject,
  settings: SyncSettings,
  logger: Logger,
): Promise<Work | null> {
  try {
    const buckets = await resolveBuckets(config, connectStorageSource(config.source));
    const resolved = await resolveTables(config, source);
    reportUnsynced(logger, resolved);
    if (resolved.tables.length === 0 && buckets.length === 0) {
      const listed = resolved.unsynced.length > 0 ? `: ${resolved.unsynced.slice(0, 10).join(', ')}` : '';
      logger.error(
        `no table to sync: the patterns of ${config.tableConfigFile} select no table of the source (it has ${resolved.unsynced.length}${listed})`,
      );
      return null;
    }
    const work = { config: { ...config, tables: resolved.tables }, resolved, buckets };
    logReports(logger, await enableDeleteTracking(source, work.config, settings));
    return work;
  } catch (error) {
    logger.error(errorMessage(error));
    return null;
  }
}
