/**
 * `npm run sync`: the original command. Starts the worker and ensures one `tableSync` workflow per
 * configured table (a running one is kept). `SYNC_MODE=reconcile`, `--cron` or `SYNC_LOOP=false`:
 * one reconciliation + deletion pass per table, awaited, a summary printed, exit 0 or 1.
 */
import { Command } from 'commander';
import { ConfigError, loadConfig, type SyncConfig } from './config/index.js';
import {
  describeError,
  enableDeleteTracking,
  ensureTableWorkflows,
  logReports,
  reconcileOnce,
  searchAttributesRegistered,
  syncSettings,
} from './engine.js';
import { createLogger, type Logger } from './logger.js';
import { connectSource } from './supabase/adapter.js';
import { SyncError } from './supabase/ports.js';
import { connectClient, createSyncWorker, installRuntime, type SyncWorker } from './worker.js';

export interface RunSyncOptions {
  cron?: boolean;
  config?: SyncConfig;
  logger?: Logger;
  /** Stops the worker gracefully when aborted. Without it, SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

/** Exit codes: 0 done, 1 runtime failure, 2 bad configuration. */
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
      `Temporal is not reachable at ${config.temporal.address} (${describeError(error)}): start one (npm run stack, or temporal server start-dev) or set TEMPORAL_ADDRESS`,
    );
    return 1;
  }

  try {
    const reports = await enableDeleteTracking(connectSource(config.source), config);
    logReports(logger, reports);
  } catch (error) {
    logger.error(describeError(error));
    await client.connection.close();
    return 1;
  }

  const settings = syncSettings(config, {
    searchAttributes: await searchAttributesRegistered(client, config.temporal.namespace),
    ...(once ? { loop: false, realtime: false } : {}),
  });

  let sync: SyncWorker;
  try {
    sync = await createSyncWorker({ config, logger });
  } catch (error) {
    logger.error(`could not start the worker: ${describeError(error)}`);
    await client.connection.close();
    return 1;
  }
  const running = sync.run();
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
      const reports = await reconcileOnce(client, config, settings);
      for (const r of reports) {
        const pass = r.result?.status.lastPass;
        const counts = pass
          ? `read ${pass.rowsRead}, written ${pass.written}, unchanged ${pass.skipped}, deletes replayed ${pass.deletesReplayed} (${pass.deleted} removed) in ${((pass.finishedAt - pass.startedAt) / 1000).toFixed(1)} s`
          : 'no pass ran';
        if (r.ok) logger.info({ table: r.table }, `${r.table}: ok — ${counts}`);
        else
          logger.error({ table: r.table }, `${r.table}: FAILED — ${r.error ?? 'unknown error'} (${counts})`);
      }
      const failed = reports.filter((r) => !r.ok).length;
      logger.info(`reconcile-only run: ${reports.length - failed} of ${reports.length} tables ok`);
      stop('done');
      await running;
      await sync.close();
      return failed === 0 ? 0 : 1;
    }
    const ensured = await ensureTableWorkflows(client, config, settings);
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
    await sync.close();
    logger.info('worker stopped');
    return 0;
  } catch (error) {
    logger.error(error instanceof SyncError ? error.message : `sync failed: ${describeError(error)}`);
    stop('error');
    await running.catch(() => undefined);
    await sync.close();
    return 1;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const program = new Command('sync')
    .description('Run the supabase-sync worker: one Temporal workflow per table in the tables config.')
    .option('--cron', 'one reconciliation + deletion pass per table, then exit (same as SYNC_MODE=reconcile)')
    .addHelpText(
      'after',
      '\nConfiguration: .env.sync (or SYNC_ENV_PATH) and sync/tables.config.json (or SYNC_TABLE_CONFIG). See README.',
    )
    .parse();
  const code = await runSync({ cron: program.opts<{ cron?: boolean }>().cron });
  process.exit(code);
}
