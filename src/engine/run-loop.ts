/**
 * The long-running mode of `npm run sync` (run-sync.ts): one workflow per table and per bucket kept
 * running (kept with its checkpoint, resumed, or started), the workflows of tables no longer
 * configured handled (orphans.ts), tables created on the source found (discovery.ts), the app's
 * schema watched (schema-watch.ts) and, with other workers on the task queue, the feeds of one that
 * dies moved (presence.ts).
 */
import { errorMessage } from '../core/errors.js';
import { TableDiscovery } from './discovery.js';
import { findUnconfigured, handleUnconfigured } from './orphans.js';
import { WorkerPresence } from './presence.js';
import { watchSchema, type SchemaWatch } from './schema-watch.js';
import type { RunContext } from './run-context.js';
import { ensureStorageWorkflows, stopUnconfiguredBuckets } from './storage.js';
import { ensureTableWorkflows } from './tables.js';
import { withStopSignal } from '../temporal/abort-scope.js';

/** Discovery, presence and the schema watch, once started: stopped with the worker however the run ends. */
export class RunHelpers {
  discovery: TableDiscovery | undefined;
  presence: WorkerPresence | undefined;
  schemaWatch: SchemaWatch | undefined;

  async stop(): Promise<void> {
    await Promise.all([this.presence?.stop(), this.discovery?.stop(), this.schemaWatch?.stop()]);
  }
}

/** Starts or keeps the workflows and the helpers; returns how many tables are synced. */
export async function keepSyncing(ctx: RunContext, helpers: RunHelpers): Promise<number> {
  const { client, config, logger, stopSignal } = ctx;
  const known = await ensureTables(ctx);
  await ensureBuckets(ctx);
  // Workflows of tables no longer configured: found before discovery adds any table.
  const unconfigured = await withStopSignal(client, stopSignal, () => findUnconfigured(client, config));
  void handleUnconfigured(client, unconfigured, {
    keep: ctx.keepUnconfigured,
    tableConfigFile: config.tableConfigFile,
    logger,
  });
  // The app's policies, functions, grants … compared when they change (and followed, if asked).
  const synced = [...config.tables];
  helpers.schemaWatch = watchSchema(ctx, () => synced);
  // Tables created on the source from now on are found within a minute.
  helpers.discovery = new TableDiscovery({
    client,
    config,
    settings: ctx.settings,
    source: ctx.source,
    logger,
    known,
    onUnsynced: (tables) => ctx.sync.metrics.unsyncedTables(tables),
    onSynced: (tables) => synced.push(...tables),
  });
  helpers.discovery.start();
  // With other workers on the task queue: fail-over of the feeds of one that dies.
  helpers.presence = new WorkerPresence({
    client,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    identity: ctx.sync.identity,
    presenceQueue: ctx.sync.presenceQueue,
    deadAfterMs: config.failover.afterMs,
    logger,
  });
  helpers.presence.start();
  logger.info(
    `syncing ${known.length} table(s) on task queue ${config.temporal.taskQueue} (Temporal ${config.temporal.address}, namespace ${config.temporal.namespace}); Ctrl-C stops the worker, the workflows wait for it`,
  );
  return known.length;
}

/** One `tableSync` per table; returns the tables. A stop meanwhile ends the wait. */
async function ensureTables(ctx: RunContext): Promise<string[]> {
  const { client, config, logger } = ctx;
  // (A `configure` sent when the stop came applies at the next start, as it would.)
  const ensured = await withStopSignal(client, ctx.stopSignal, () =>
    ensureTableWorkflows(client, config, ctx.settings),
  );
  ctx.sync.metrics.unsyncedTables(ctx.resolved.unsynced);
  for (const e of ensured) {
    const what = e.started
      ? e.resumed
        ? 'resumed from its last checkpoint:'
        : 'started'
      : 'kept running (current settings applied):';
    logger.info({ table: e.table, workflowId: e.workflowId }, `${e.table}: ${what} workflow ${e.workflowId}`);
  }
  return ensured.map((e) => e.table);
}

/** One workflow per bucket of the `storage` key (docs/storage.md); those no longer configured stopped. */
async function ensureBuckets(ctx: RunContext): Promise<void> {
  const { client, config, logger, buckets } = ctx;
  const ensured = await withStopSignal(client, ctx.stopSignal, () =>
    ensureStorageWorkflows(client, config, buckets),
  );
  for (const e of ensured) {
    logger.info(
      { bucket: e.bucket, workflowId: e.workflowId },
      `bucket ${e.bucket}: ${e.started ? 'started' : 'kept running (current settings applied):'} workflow ${e.workflowId}`,
    );
  }
  void stopUnconfiguredBuckets(client, config, buckets, { keep: ctx.keepUnconfigured, logger }).catch(
    (error: unknown) => logger.warn(`storage workflows not listed: ${errorMessage(error)}`),
  );
}
