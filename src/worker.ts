/**
 * The Temporal worker: the table workflows plus their activities, with the Supabase projects and a
 * Temporal client injected into the activities. Service role keys stay here, in the worker's
 * config: they never enter workflow history.
 */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import type { SyncConfig } from './config/index.js';
import type { Logger } from './logger.js';
import { connectSource, connectTarget } from './supabase/adapter.js';
import type { SourceProject, TargetProject } from './supabase/ports.js';
import { realtimeProgressSignal, realtimeSubscribedSignal } from './workflows/messages.js';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

let runtimeInstalled = false;

/** Routes the SDK's own logs into our JSON logger. Must run before any connection; once per process. */
export function installRuntime(logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const sdk = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    // Core (Rust) log lines are forwarded to the same JSON logger instead of stderr.
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
    logger: new DefaultLogger('WARN', (entry) => {
      const meta = { ...(entry.meta ?? {}) };
      if (entry.level === 'ERROR') sdk.error(meta, entry.message);
      else sdk.warn(meta, entry.message);
    }),
  });
}

export interface SyncWorkerOptions {
  config: SyncConfig;
  logger: Logger;
  /** A pre-built workflow bundle (tests bundle once per run). */
  workflowBundle?: WorkflowBundle;
  /** Override the projects (tests inject faults here). */
  source?: SourceProject;
  target?: TargetProject;
}

export interface SyncWorker {
  worker: Worker;
  client: Client;
  /** Resolves when the worker has stopped. */
  run(): Promise<void>;
  /** Graceful: in-flight batches finish, realtime feeds flush and hand over, then the worker stops. */
  shutdown(): Promise<void>;
  close(): Promise<void>;
}

export async function connectClient(config: SyncConfig): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 5000 });
  return new Client({ connection, namespace: config.temporal.namespace });
}

export async function createSyncWorker(options: SyncWorkerOptions): Promise<SyncWorker> {
  const { config, logger } = options;
  installRuntime(logger);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const client = await connectClient(config);
  const shuttingDown = new AbortController();
  const activities = createActivities({
    shutdown: shuttingDown.signal,
    source: options.source ?? connectSource(config.source),
    target: options.target ?? connectTarget(config.target),
    logger,
    notify: {
      realtimeProgress: (workflowId, progress) =>
        client.workflow.getHandle(workflowId).signal(realtimeProgressSignal, progress),
      realtimeSubscribed: (workflowId, at) =>
        client.workflow.getHandle(workflowId).signal(realtimeSubscribedSignal, { at }),
    },
  });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities,
    // Each table holds one slot for its realtime feed plus one for a pass; leave headroom.
    maxConcurrentActivityTaskExecutions: config.tables.length * 2 + 20,
    // Let in-flight batches finish on shutdown; realtime feeds are cancelled and flush first.
    shutdownGraceTime: '20s',
    // Cancellation reaches an activity with a heartbeat response: heartbeat often enough that a
    // pause, stop or continue-as-new stops a realtime feed within a couple of seconds.
    maxHeartbeatThrottleInterval: '2s',
  });
  let running: Promise<void> | undefined;
  return {
    worker,
    client,
    run: () => (running ??= worker.run()),
    shutdown: async () => {
      shuttingDown.abort();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
    close: async () => {
      await client.connection.close();
      await connection.close();
    },
  };
}
