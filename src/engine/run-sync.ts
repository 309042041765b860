/**
 * The worker process of `npm run sync` (and `npm start` with an env file): delete tracking enabled,
 * the worker started, then one `tableSync` per table kept running (workflows of tables no longer
 * configured are stopped, orphans.ts) until SIGINT/SIGTERM (or the given signal) stops the worker
 * gracefully; or, in reconcile-only mode, one pass per table, a summary, and exit. A stop asked
 * for during start-up ends it after the step under way, with nothing left running. Exit codes:
 * 0 done (or stopped on request), 1 runtime failure, 2 bad configuration.
 */
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig, projectsLine, readEnvSources } from '../config/index.js';
import type { SyncConfig } from '../contracts/config.js';
import type { Logger } from '../contracts/logger.js';
import { SyncError } from '../contracts/ports.js';
import { errorMessage } from '../core/errors.js';
import { formatSeconds } from '../core/format.js';
import { connectSource } from '../supabase/source.js';
import { searchAttributesRegistered } from '../temporal/connection.js';
import { installRuntime } from '../temporal/runtime.js';
import { createSyncWorker } from '../worker.js';
import { createLogger } from './logger.js';
import { reconcileOnlyRun } from './reconcile-once.js';
import type { DashboardStarter, RunContext } from './run-context.js';
import { keepSyncing, RunHelpers } from './run-loop.js';
import { connectTemporal, resolveWork } from './run-start.js';
import { syncSettings } from '../config/settings.js';
import { listenForStop, reasonOf, type StopSignals } from './stop-signals.js';
import { workerStoppedLine } from './stop-line.js';

export interface RunSyncOptions {
  cron?: boolean;
  config?: SyncConfig;
  logger?: Logger;
  /** Stops the worker gracefully when aborted. Without it, SIGINT/SIGTERM do. */
  signal?: AbortSignal;
  /** Keep the workflows of tables no longer in the tables file running (default: stop them). */
  keepUnconfigured?: boolean;
  /** With SYNC_DASHBOARD_ADDRESS: serves the dashboard page while the worker runs. */
  dashboard?: DashboardStarter;
  /** Told the dashboard's address once it is served (the demo prints it). */
  onDashboard?: (url: string) => void;
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
  // Which two projects, and where their URLs came from (a caller with its own config says so itself).
  if (!options.config) logger.info(projectsLine(config, readEnvSources()));
  const once = options.cron === true || config.mode === 'reconcile' || !config.loop;
  installRuntime(logger, config);
  const stopRequest = stopRequests(options, logger);
  try {
    const client = await connectTemporal(config, logger);
    if (!client) return 1;
    try {
      return await startUp(config, logger, once, options, stopRequest, client);
    } finally {
      await client.connection.close();
    }
  } finally {
    stopRequest.dispose();
  }
}

/** The steps before the worker runs, each one a place where a stop asked for meanwhile ends it. */
async function startUp(
  config: SyncConfig,
  logger: Logger,
  once: boolean,
  options: RunSyncOptions,
  stopRequest: StopSignals,
  client: Client,
): Promise<number> {
  const began = Date.now();
  const stoppedEarly = () => {
    logger.info(`${stopRequest.reason()}: stopped during start-up, nothing left running`);
    return 0;
  };
  if (stopRequest.signal.aborted) return stoppedEarly();
  const settings = syncSettings(config, {
    searchAttributes: await searchAttributesRegistered(client, config.temporal.namespace),
    ...(once ? { loop: false, realtime: false } : {}),
  });
  const source = connectSource(config.source);
  const work = await resolveWork(config, source, settings, logger);
  if (!work) return 1;
  if (stopRequest.signal.aborted) return stoppedEarly();
  let sync;
  try {
    sync = await createSyncWorker({ config: work.config, logger });
  } catch (error) {
    logger.error(`could not start the worker: ${errorMessage(error)}`);
    return 1;
  }
  const ctx: RunContext = {
    ...work,
    logger,
    client,
    settings,
    source,
    sync,
    stopSignal: stopRequest.signal,
    keepUnconfigured: options.keepUnconfigured === true,
  };
  const page = once ? null : await serveFromWorker(ctx, options);
  try {
    return await runWorker(ctx, once, stopRequest, began);
  } finally {
    await page?.close();
  }
}

/** The dashboard page at SYNC_DASHBOARD_ADDRESS, if set; a port in use is logged, and the sync goes on. */
async function serveFromWorker(ctx: RunContext, options: RunSyncOptions) {
  const address = ctx.config.dashboard?.address;
  if (!address || !options.dashboard) return null;
  try {
    const page = await options.dashboard({
      config: ctx.config,
      client: ctx.client,
      history: ctx.sync.lagHistory,
      address,
      ...(ctx.config.dashboard?.token !== undefined ? { token: ctx.config.dashboard.token } : {}),
    });
    ctx.logger.info({ dashboard: address }, `dashboard: ${page.url}`);
    options.onDashboard?.(page.url);
    return page;
  } catch (error) {
    ctx.logger.error(
      `SYNC_DASHBOARD_ADDRESS=${address}: cannot serve the dashboard there (${errorMessage(error)}); syncing without it`,
    );
    return null;
  }
}

/** Runs the worker until it is stopped (or the reconcile-only run is done); returns the exit code. */
async function runWorker(
  ctx: RunContext,
  once: boolean,
  stopRequest: StopSignals,
  began: number,
): Promise<number> {
  const { logger, sync } = ctx;
  const running = sync.run();
  const helpers = new RunHelpers();
  let stopAskedAt = 0;
  const stop = (signal: string) => {
    if (stopAskedAt) return;
    stopAskedAt = Date.now();
    logger.info(`${signal}: shutting down gracefully (in-flight batches finish)`);
    void sync.shutdown();
  };
  if (stopRequest.signal.aborted) stop(stopRequest.reason());
  else stopRequest.signal.addEventListener('abort', () => stop(stopRequest.reason()), { once: true });
  const stopped = async () => {
    await running.catch(() => undefined);
    await helpers.stop();
    await sync.close();
  };
  try {
    if (once) {
      const failed = await reconcileOnlyRun(ctx);
      stop('done');
      await running;
      await sync.close();
      return failed === 0 ? 0 : 1;
    }
    const tables = await keepSyncing(ctx, helpers);
    await running;
    await helpers.stop();
    await sync.close();
    logger.info(await workerStoppedLine(ctx, tables, { stopAskedAt, began }));
    return 0;
  } catch (error) {
    if (stopRequest.signal.aborted) {
      // Stopped while the workflows were being started or a reconcile-only run was under way.
      await stopped();
      logger.info(
        `${stopRequest.reason()}: worker stopped in ${formatSeconds(Date.now() - stopAskedAt)}${once ? '; the reconcile-only run was terminated (the next one starts from the last completed checkpoints)' : ''}`,
      );
      return 0;
    }
    logger.error(error instanceof SyncError ? error.message : `sync failed: ${errorMessage(error)}`);
    stop('error');
    await stopped();
    return 1;
  }
}
