/**
 * The worker process of `npm run sync` (and `npm start` with an env file): delete tracking enabled,
 * the worker started, then one `tableSync` per table kept running until SIGINT/SIGTERM (or the
 * given signal) stops the worker gracefully; or, in reconcile-only mode, one pass per table, a
 * summary, and exit. Exit codes: 0 done, 1 runtime failure, 2 bad configuration.
 */
import { ConfigError, loadConfig, type SyncConfig } from '../config/index.js';
import { errorMessage } from '../core/errors.js';
import { createLogger, type Logger } from './logger.js';
import { connectSource } from '../supabase/source.js';
import { SyncError } from '../supabase/ports.js';
import { connectClient, searchAttributesRegistered } from '../temporal/connection.js';
import { installRuntime } from '../temporal/runtime.js';
import { createSyncWorker, type SyncWorker } from '../worker.js';
import type { ScheduledTableResult } from '../workflows/reconcile-schedule.js';
import { reconcileOnce } from './reconcile-once.js';
import { syncSettings } from './settings.js';
import { reportUnsynced, TableDiscovery } from './discovery.js';
import { WorkerPresence } from './presence.js';
import { resolveTables, type ResolvedTables } from './resolve-tables.js';
import { enableDeleteTracking, ensureTableWorkflows, logReports } from './tables.js';

export interface RunSyncOptions {
  cron?: boolean;
  config?: SyncConfig;
  logger?: Logger;
  /** Stops the worker gracefully when aborted. Without it, SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

function passLine(r: ScheduledTableResult): string {
  const counts =
    r.durationMs !== undefined
      ? `read ${r.rowsRead}, written ${r.written}, unchanged ${r.skipped}, deletes replayed ${r.deletesReplayed} (${r.deleted} removed) in ${(r.durationMs / 1000).toFixed(1)} s`
      : 'no pass ran';
  return r.ok
    ? `${r.table}: ok — ${counts}`
    : `${r.table}: FAILED — ${r.error ?? 'unknown error'} (${counts})`;
}

export async function runSync(options: RunSyncOptions = {}): Promise<number> {
  let config: SyncConfig;
  try {
    config = options.config ?? loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`supabase-sync: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const logger = options.logger ?? createLogger(config.logLevel);
  const once = options.cron === true || config.mode === 'reconcile' || !config.loop;
  installRuntime(logger, config);

  let client;
  try {
    client = await connectClient(config);
    await client.connection.workflowService.getSystemInfo({});
  } catch (error) {
    logger.error(
      { temporal: config.temporal.address },
      `Temporal is not reachable at ${config.temporal.address} (${errorMessage(error)}): start one (npm run stack, or temporal server start-dev) or set TEMPORAL_ADDRESS`,
    );
    return 1;
  }

  const settings = syncSettings(config, {
    searchAttributes: await searchAttributesRegistered(client, config.temporal.namespace),
    ...(once ? { loop: false, realtime: false } : {}),
  });
  const source = connectSource(config.source);
  let resolved: ResolvedTables;
  try {
    // The tables file's entries and patterns against the source's catalog (keys it does not give).
    resolved = await resolveTables(config, source);
    reportUnsynced(logger, resolved);
    if (resolved.tables.length === 0) {
      logger.error(
        `no table to sync: the patterns of ${config.tableConfigFile} select no table of the source (it has ${resolved.unsynced.length}${resolved.unsynced.length > 0 ? `: ${resolved.unsynced.slice(0, 10).join(', ')}` : ''})`,
      );
      await client.connection.close();
      return 1;
    }
    config = { ...config, tables: resolved.tables };
    logReports(logger, await enableDeleteTracking(source, config, settings));
  } catch (error) {
    logger.error(errorMessage(error));
    await client.connection.close();
    return 1;
  }

  let sync: SyncWorker;
  try {
    sync = await createSyncWorker({ config, logger });
  } catch (error) {
    logger.error(`could not start the worker: ${errorMessage(error)}`);
    await client.connection.close();
    return 1;
  }
  const running = sync.run();
  let discovery: TableDiscovery | undefined;
  let presence: WorkerPresence | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down gracefully (in-flight batches finish)`);
    void sync.shutdown();
  };
  if (options.signal) {
    if (options.signal.aborted) stop('stop requested');
    else options.signal.addEventListener('abort', () => stop('stop requested'), { once: true });
  } else {
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  }

  try {
    if (once) {
      const results = await reconcileOnce(client, config, settings);
      for (const r of results) {
        if (r.ok) logger.info({ table: r.table }, passLine(r));
        else logger.error({ table: r.table }, passLine(r));
      }
      const failed = results.filter((r) => !r.ok).length;
      logger.info(`reconcile-only run: ${results.length - failed} of ${results.length} tables ok`);
      stop('done');
      await running;
      await sync.close();
      return failed === 0 ? 0 : 1;
    }
    const ensured = await ensureTableWorkflows(client, config, settings);
    sync.metrics.unsyncedTables(resolved.unsynced);
    // Tables created on the source from now on are found within a minute.
    discovery = new TableDiscovery({
      client,
      config,
      settings,
      source,
      logger,
      known: ensured.map((e) => e.table),
      onUnsynced: (tables) => sync.metrics.unsyncedTables(tables),
    });
    discovery.start();
    // With other workers on the task queue: fail-over of the feeds of one that dies.
    presence = new WorkerPresence({
      client,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      identity: sync.identity,
      presenceQueue: sync.presenceQueue,
      logger,
    });
    presence.start();
    for (const e of ensured) {
      logger.info(
        { table: e.table, workflowId: e.workflowId },
        `${e.table}: ${e.started ? (e.resumed ? 'resumed from its last checkpoint:' : 'started') : 'kept running (current settings applied):'} workflow ${e.workflowId}`,
      );
    }
    logger.info(
      `syncing ${ensured.length} table(s) on task queue ${config.temporal.taskQueue} (Temporal ${config.temporal.address}, namespace ${config.temporal.namespace}); Ctrl-C stops the worker, the workflows wait for it`,
    );
    await running;
    presence.stop();
    await discovery.stop();
    await sync.close();
    logger.info('worker stopped');
    return 0;
  } catch (error) {
    logger.error(error instanceof SyncError ? error.message : `sync failed: ${errorMessage(error)}`);
    stop('error');
    await running.catch(() => undefined);
    presence?.stop();
    await discovery?.stop();
    await sync.close();
    return 1;
  }
}
