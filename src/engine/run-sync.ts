/**
 * The worker process of `npm run sync` (and `npm start` with an env file): delete tracking enabled,
 * the worker started, then one `tableSync` per table kept running (workflows of tables no longer
 * configured are stopped, orphans.ts) until SIGINT/SIGTERM (or the given signal) stops the worker
 * gracefully; or, in reconcile-only mode, one pass per table, a summary, and exit. A stop asked
 * for during start-up ends it after the step under way, with nothing left running. Exit codes:
 * 0 done (or stopped on request), 1 runtime failure, 2 bad configuration.
 */
import { ConfigError, loadConfig, type SyncConfig } from '../config/index.js';
import { errorMessage } from '../core/errors.js';
import { createLogger, type Logger } from './logger.js';
import { connectSource } from '../supabase/source.js';
import { SyncError } from '../supabase/ports.js';
import { connectClient, searchAttributesRegistered } from '../temporal/connection.js';
import { promotedTargetRefusal } from './failover-record.js';
import { installRuntime } from '../temporal/runtime.js';
import { createSyncWorker, type SyncWorker } from '../worker.js';
import type { ScheduledTableResult } from '../workflows/reconcile-schedule.js';
import { findUnconfigured, handleUnconfigured } from './orphans.js';
import { reconcileOnce } from './reconcile-once.js';
import { listenForStop, reasonOf, type StopSignals } from './stop-signals.js';
import { syncSettings } from './settings.js';
import { reportUnsynced, TableDiscovery } from './discovery.js';
import { WorkerPresence } from './presence.js';
import { resolveTables, type ResolvedTables } from './resolve-tables.js';
import { enableDeleteTracking, ensureTableWorkflows, logReports } from './tables.js';
import { connectStorageSource } from '../supabase/storage-source.js';
import { ensureStorageWorkflows, resolveBuckets, stopUnconfiguredBuckets, storageOnce } from './storage.js';

export interface RunSyncOptions {
  cron?: boolean;
  config?: SyncConfig;
  logger?: Logger;
  /** Stops the worker gracefully when aborted. Without it, SIGINT/SIGTERM do. */
  signal?: AbortSignal;
  /** Keep the workflows of tables no longer in the tables file running (default: stop them). */
  keepUnconfigured?: boolean;
}

/**
 * The stop request: the given signal, or SIGINT/SIGTERM from the start (not only once the worker
 * runs); a second one ends the process at once (it has no servers of its own to stop).
 */
function stopRequests(options: RunSyncOptions, logger: Logger): StopSignals {
  const given = options.signal;
  if (given) return { signal: given, reason: () => reasonOf(given), dispose() {} };
  return listenForStop({
    again: (name) => {
      logger.warn(`${name} again: exiting now, without waiting for in-flight batches`);
      process.exit(130);
    },
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
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
  const stopRequest = stopRequests(options, logger);
  try {
    return await run(config, logger, once, options, stopRequest);
  } finally {
    stopRequest.dispose();
  }
}

async function run(
  config: SyncConfig,
  logger: Logger,
  once: boolean,
  options: RunSyncOptions,
  stopRequest: StopSignals,
): Promise<number> {
  const began = Date.now();
  const stoppedEarly = (client?: { connection: { close(): Promise<void> } }) => {
    logger.info(`${stopRequest.reason()}: stopped during start-up, nothing left running`);
    return client ? client.connection.close().then(() => 0) : Promise.resolve(0);
  };

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
  if (stopRequest.signal.aborted) return stoppedEarly(client);
  const promoted = await promotedTargetRefusal(client, config).catch(() => null);
  if (promoted) {
    logger.error(promoted);
    await client.connection.close();
    return 1;
  }

  const settings = syncSettings(config, {
    searchAttributes: await searchAttributesRegistered(client, config.temporal.namespace),
    ...(once ? { loop: false, realtime: false } : {}),
  });
  const source = connectSource(config.source);
  let resolved: ResolvedTables;
  let buckets: string[] = [];
  try {
    buckets = await resolveBuckets(config, connectStorageSource(config.source));
    // The tables file's entries and patterns against the source's catalog (keys it does not give).
    resolved = await resolveTables(config, source);
    reportUnsynced(logger, resolved);
    if (resolved.tables.length === 0 && buckets.length === 0) {
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
  if (stopRequest.signal.aborted) return stoppedEarly(client);

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
  let stopAskedAt = 0;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopAskedAt = Date.now();
    logger.info(`${signal}: shutting down gracefully (in-flight batches finish)`);
    void sync.shutdown();
  };
  if (stopRequest.signal.aborted) stop(stopRequest.reason());
  else stopRequest.signal.addEventListener('abort', () => stop(stopRequest.reason()), { once: true });

  try {
    if (once) {
      const results = await reconcileOnce(client, config, settings, stopRequest.signal);
      for (const r of results) {
        if (r.ok) logger.info({ table: r.table }, passLine(r));
        else logger.error({ table: r.table }, passLine(r));
      }
      const bucketResults = await storageOnce(client, config, buckets, stopRequest.signal);
      for (const b of bucketResults)
        (b.ok ? logger.info : logger.error).call(logger, { bucket: b.bucket }, b.line);
      const failed = results.filter((r) => !r.ok).length + bucketResults.filter((b) => !b.ok).length;
      logger.info(
        `reconcile-only run: ${results.length - results.filter((r) => !r.ok).length} of ${results.length} tables ok${buckets.length > 0 ? `, ${bucketResults.filter((b) => b.ok).length} of ${buckets.length} buckets ok` : ''}`,
      );
      stop('done');
      await running;
      await sync.close();
      await client.connection.close();
      return failed === 0 ? 0 : 1;
    }
    // A stop meanwhile ends the wait (a `configure` sent then applies at the next start, as it would).
    const ensured = await client.withAbortSignal(stopRequest.signal, () =>
      ensureTableWorkflows(client, config, settings),
    );
    sync.metrics.unsyncedTables(resolved.unsynced);
    for (const e of ensured) {
      logger.info(
        { table: e.table, workflowId: e.workflowId },
        `${e.table}: ${e.started ? (e.resumed ? 'resumed from its last checkpoint:' : 'started') : 'kept running (current settings applied):'} workflow ${e.workflowId}`,
      );
    }
    // One workflow per bucket of the `storage` key (docs/storage.md).
    const ensuredBuckets = await client.withAbortSignal(stopRequest.signal, () =>
      ensureStorageWorkflows(client, config, buckets),
    );
    for (const e of ensuredBuckets) {
      logger.info(
        { bucket: e.bucket, workflowId: e.workflowId },
        `bucket ${e.bucket}: ${e.started ? 'started' : 'kept running (current settings applied):'} workflow ${e.workflowId}`,
      );
    }
    void stopUnconfiguredBuckets(client, config, buckets, {
      keep: options.keepUnconfigured === true,
      logger,
    }).catch((error: unknown) => logger.warn(`storage workflows not listed: ${errorMessage(error)}`));
    // Workflows of tables no longer configured: found before discovery adds any table.
    const unconfigured = await client.withAbortSignal(stopRequest.signal, () =>
      findUnconfigured(client, config),
    );
    void handleUnconfigured(client, unconfigured, {
      keep: options.keepUnconfigured === true,
      tableConfigFile: config.tableConfigFile,
      logger,
    });
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
      deadAfterMs: config.failover.afterMs,
      logger,
    });
    presence.start();
    logger.info(
      `syncing ${ensured.length} table(s) on task queue ${config.temporal.taskQueue} (Temporal ${config.temporal.address}, namespace ${config.temporal.namespace}); Ctrl-C stops the worker, the workflows wait for it`,
    );
    await running;
    presence.stop();
    await discovery.stop();
    await sync.close();
    await client.connection.close();
    logger.info(
      `worker stopped${stopAskedAt ? ` in ${seconds(Date.now() - stopAskedAt)}` : ''} after ${seconds(Date.now() - began)}: ${ensured.length} table(s) on task queue ${config.temporal.taskQueue}; their workflows wait on the Temporal server for the next worker`,
    );
    return 0;
  } catch (error) {
    if (stopRequest.signal.aborted) {
      // Stopped while the workflows were being started or a reconcile-only run was under way.
      await running.catch(() => undefined);
      presence?.stop();
      await discovery?.stop();
      await sync.close();
      await client.connection.close();
      logger.info(
        `${stopRequest.reason()}: worker stopped in ${seconds(Date.now() - stopAskedAt)}${once ? '; the reconcile-only run was terminated (the next one starts from the last completed checkpoints)' : ''}`,
      );
      return 0;
    }
    logger.error(error instanceof SyncError ? error.message : `sync failed: ${errorMessage(error)}`);
    stop('error');
    await running.catch(() => undefined);
    presence?.stop();
    await discovery?.stop();
    await sync.close();
    await client.connection.close();
    return 1;
  }
}
