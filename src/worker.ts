/**
 * The Temporal worker: the workflows (src/workflows) and their activities (src/activities), with
 * the Supabase projects, checkpoint look-ups through a Temporal client and the process's feed
 * control injected into the activities (`createActivities(deps)`). Service role keys stay here, in
 * the worker's config: they never enter workflow history.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import type { Client, ConnectionOptions } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import type { HoldPresenceInput } from './contracts/activities.js';
import type { SyncConfig } from './contracts/config.js';
import type { Logger } from './contracts/logger.js';
import type { SourceProject, TargetProject } from './contracts/ports.js';
import type { RealtimeProgress } from './contracts/table-sync.js';
import type { StorageSource, StorageTarget } from './contracts/storage-ports.js';
import type { DirectDatabases } from './contracts/direct-ports.js';
import { closeDirect, connectDirect } from './supabase/direct.js';
import { connectSource } from './supabase/source.js';
import { connectTarget } from './supabase/target.js';
import { connectStorageSource } from './supabase/storage-source.js';
import { connectStorageTarget } from './supabase/storage-target.js';
import { lastCompletedCheckpoint } from './temporal/checkpoints.js';
import { dataConverterFor } from './temporal/codec.js';
import { connectClient, temporalConnectionOptions } from './temporal/connection.js';
import { FeedControlRegistry, feedControlSinks } from './temporal/feed-control.js';
import { HeldSignals } from './temporal/held-signals.js';
import { LagHistory } from './temporal/lag-history.js';
import { SyncMetrics } from './temporal/metrics.js';
import { installRuntime } from './temporal/runtime.js';
import { workerWorkflowBundle } from './temporal/workflow-bundle.js';
import { limitHeap, limitHeapAgain } from '../bin/heap-limits.mjs';
import { realtimeProgressSignal, realtimeSubscribedSignal } from './workflows/messages.js';

export { workflowsPath } from './temporal/workflow-bundle.js';

export interface SyncWorkerOptions {
  config: SyncConfig;
  logger: Logger;
  /** A pre-built workflow bundle (default: the one cached for this code, src/temporal/workflow-bundle.ts). */
  workflowBundle?: WorkflowBundle;
  /** Override the projects (tests inject faults here). */
  source?: SourceProject;
  target?: TargetProject;
  storageSource?: StorageSource;
  storageTarget?: StorageTarget;
  /** Override the direct path's databases (default: from the config's database URLs). */
  direct?: DirectDatabases;
  /** gRPC interceptors on the worker's Temporal client (tests count the calls it makes). */
  clientInterceptors?: ConnectionOptions['interceptors'];
}

export interface SyncWorker {
  worker: Worker;
  client: Client;
  /** This process's worker identity (Temporal's, and the one its feeds report). */
  identity: string;
  /** The task queue only this process polls (its liveness activity runs there: src/engine/presence.ts). */
  presenceQueue: string;
  /** The worker's metrics (Prometheus), for what the process records outside activities. */
  metrics: SyncMetrics;
  /** Each table's lag over the last hour, from its feed's batches (the dashboard's charts). */
  lagHistory: LagHistory;
  /** Resolves when the worker has stopped. */
  run(): Promise<void>;
  /** Graceful: in-flight batches finish, realtime feeds flush and hand over, then the worker stops. */
  shutdown(): Promise<void>;
  close(): Promise<void>;
}

/** The realtime feeds running in this process (one registry per process: see feed-control.ts). */
const runningFeeds = new FeedControlRegistry();

/** The activities with their dependencies: the projects, the checkpoints, the feeds' control, the metrics. */
function activitiesFor(
  options: SyncWorkerOptions,
  client: Client,
  metrics: SyncMetrics,
  identity: string,
  shutdown: AbortSignal,
  held: HeldSignals,
  lagHistory: LagHistory,
  direct: DirectDatabases | undefined,
) {
  const { config, logger } = options;
  return createActivities({
    shutdown,
    // Both database URLs given: whole-table reads and verify go through COPY and SQL (direct-copy.ts).
    ...(direct ? { direct } : {}),
    source: options.source ?? connectSource(config.source),
    target: options.target ?? connectTarget(config.target),
    // Storage (storage-sync workflows): clients are made here, used only when buckets are configured.
    storageSource: options.storageSource ?? connectStorageSource(config.source),
    storageTarget: options.storageTarget ?? connectStorageTarget(config.target),
    logger,
    lastCompletedCheckpoint: (workflowId) => lastCompletedCheckpoint(client, workflowId),
    feedControl: runningFeeds,
    observeSchema: (table, differences) => metrics.schema(table, differences),
    notify: lagHistory.wrapNotify(
      metrics.wrapNotify(
        held.wrap({
          realtimeProgress: (workflowId, progress) => sendProgress(client, identity)(workflowId, progress),
          realtimeSubscribed: (workflowId, at) =>
            client.workflow.getHandle(workflowId).signal(realtimeSubscribedSignal, { at, worker: identity }),
        }),
      ),
    ),
  });
}

const STOPPING_STATES = new Set(['STOPPING', 'DRAINING', 'DRAINED', 'STOPPED', 'FAILED']);

/** The realtimeProgress signal, naming this worker (a late `disconnected` from it is told apart). */
function sendProgress(client: Client, identity: string) {
  return (workflowId: string, progress: RealtimeProgress) =>
    client.workflow.getHandle(workflowId).signal(realtimeProgressSignal, { ...progress, worker: identity });
}

/**
 * Activity slots: each table holds one for its realtime feed plus one for a pass; leave headroom;
 * and each bucket of the `storage` key one for its pass ("*": room for 20 buckets).
 */
function activitySlots(config: SyncConfig): number {
  const buckets = config.storage ? (config.storage.buckets === '*' ? 20 : config.storage.buckets.length) : 0;
  return config.tables.length * 2 + 20 + buckets;
}

/** The liveness activity on this process's own queue: only it may run there. */
function createPresenceWorker(
  connection: NativeConnection,
  config: SyncConfig,
  identity: string,
  taskQueue: string,
  activities: Pick<ReturnType<typeof activitiesFor>, 'holdPresence'>,
): Promise<Worker> {
  return Worker.create({
    connection,
    identity,
    namespace: config.temporal.namespace,
    taskQueue,
    activities: { holdPresence: (input: HoldPresenceInput) => activities.holdPresence(input) },
    dataConverter: dataConverterFor(config),
    shutdownGraceTime: '2s',
  });
}

export async function createSyncWorker(options: SyncWorkerOptions): Promise<SyncWorker> {
  const { config, logger } = options;
  // The heaps' growth limited (bin/heap-limits.mjs; `npm run sync` set it before its modules loaded).
  limitHeap();
  installRuntime(logger, config);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const client = await connectClient(config, options.clientInterceptors);
  const shuttingDown = new AbortController();
  // Every table's Realtime feed listens for the shutdown: no "possible leak" warning past 10 tables.
  setMaxListeners(0, shuttingDown.signal);
  // Metrics (temporal/metrics.ts): activity timings/errors/row counts by interceptor, realtime counts
  // and lag from the feeds' progress. A no-op meter when SYNC_METRICS_ADDRESS=off.
  const metrics = new SyncMetrics(Runtime.instance().metricMeter, logger);
  const identity = `${os.hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  const presenceQueue = `${config.temporal.taskQueue}@${identity}`;
  // Signals from the feeds wait while the worker stops until it no longer polls (held-signals.ts).
  // (The SDK's own SIGINT/SIGTERM handler stops the worker without our `shutdown`: its state says so.)
  const held = new HeldSignals(
    () => shuttingDown.signal.aborted || STOPPING_STATES.has(worker.getState()),
    logger,
  );
  const lagHistory = new LagHistory();
  const direct = options.direct ?? connectDirect(config);
  const activities = activitiesFor(
    options,
    client,
    metrics,
    identity,
    shuttingDown.signal,
    held,
    lagHistory,
    direct,
  );
  const worker = await Worker.create({
    connection,
    identity,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    // A table's workflow tasks wait this long for the worker that ran its last one before another
    // takes them: when that worker died, a feed handed over to a survivor starts within seconds.
    stickyQueueScheduleToStartTimeout: '1s',
    workflowBundle: options.workflowBundle ?? (await workerWorkflowBundle()),
    activities,
    sinks: feedControlSinks(runningFeeds),
    dataConverter: dataConverterFor(config),
    interceptors: { activity: [metrics.activityInterceptor(shuttingDown.signal)] },
    maxConcurrentActivityTaskExecutions: activitySlots(config),
    // The SDK sends an activity's heartbeats at most every min(this, 80% of its heartbeat timeout);
    // its default of 60 s would cap the feed's (5-minute timeout, billed) at 60 an hour instead of 15.
    maxHeartbeatThrottleInterval: '4 minutes',
    // Let in-flight batches finish on shutdown; realtime feeds are cancelled and flush first.
    shutdownGraceTime: '20s',
  });
  const presenceWorker = await createPresenceWorker(connection, config, identity, presenceQueue, activities);
  // The workflow thread runs: V8 set the young generation's growth back when it made its isolate.
  limitHeapAgain();
  let running: Promise<void> | undefined;
  return {
    worker,
    client,
    metrics,
    lagHistory,
    identity,
    presenceQueue,
    run: () =>
      (running ??= Promise.all([worker.run(), presenceWorker.run()]).then(() =>
        held.release(sendProgress(client, identity)),
      )),
    shutdown: async () => {
      shuttingDown.abort();
      if (presenceWorker.getState() === 'RUNNING') presenceWorker.shutdown();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
    close: async () => {
      await closeDirect(direct);
      await client.connection.close();
      await connection.close();
    },
  };
}
