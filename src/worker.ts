/**
 * The Temporal worker: the table workflows plus their activities, with the Supabase projects and a
 * Temporal client injected into the activities. Service role keys stay here, in the worker's
 * config: they never enter workflow history.
 */
import { fileURLToPath } from 'node:url';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
  type TLSConfig,
} from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type InjectedSinks,
  type WorkflowBundle,
} from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { FeedControlRegistry } from './activities/realtime.js';
import { dataConverterFor } from './codec.js';
import type { SyncConfig } from './config/index.js';
import type { Logger } from './logger.js';
import { prometheusExporter, SyncMetrics, tableFromWorkflowId } from './metrics.js';
import { connectSource, connectTarget } from './supabase/adapter.js';
import type { SourceProject, TargetProject } from './supabase/ports.js';
import {
  realtimeProgressSignal,
  realtimeSubscribedSignal,
  type FeedControlSinks,
} from './workflows/messages.js';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

let runtimeInstalled = false;

/**
 * Routes the SDK's own logs into our JSON logger and serves Prometheus metrics (the SDK's and ours,
 * see metrics.ts) at `config.metrics.address`. Must run before any connection; once per process.
 */
export function installRuntime(logger: Logger, config?: Pick<SyncConfig, 'metrics'>): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const sdk = logger.child({ component: 'temporal-sdk' });
  const install = (address: string | null) => {
    const metrics = prometheusExporter(address);
    Runtime.install({
      // Core (Rust) log lines are forwarded to the same JSON logger instead of stderr.
      telemetryOptions: {
        logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
        ...(metrics ? { metrics } : {}),
      },
      logger: new DefaultLogger('WARN', (entry) => {
        const meta: Record<string, unknown> = { ...(entry.meta ?? {}) };
        // SDK lines about a table's workflow or activity carry `table` like ours do.
        const table = tableFromWorkflowId(typeof meta.workflowId === 'string' ? meta.workflowId : undefined);
        if (table && meta.table === undefined) meta.table = table;
        if (entry.level === 'ERROR') sdk.error(meta, entry.message);
        else sdk.warn(meta, entry.message);
      }),
    });
  };
  const address = config?.metrics.address ?? null;
  if (address === null) return install(null);
  try {
    install(address);
    logger.info({ metrics: address }, `Prometheus metrics at http://${address}/metrics`);
  } catch (error) {
    // A metrics port in use must not stop the backups: say so loudly and sync without metrics.
    logger.error(
      { metrics: address },
      `SYNC_METRICS_ADDRESS=${address}: cannot serve Prometheus metrics there (${(error as Error).message}); syncing without metrics: choose another ip:port or set SYNC_METRICS_ADDRESS=off`,
    );
    install(null);
  }
}

export interface SyncWorkerOptions {
  config: SyncConfig;
  logger: Logger;
  /** A pre-built workflow bundle (tests bundle once per run). */
  workflowBundle?: WorkflowBundle;
  /** Override the projects (tests inject faults here). */
  source?: SourceProject;
  target?: TargetProject;
  /** gRPC interceptors on the worker's Temporal client (tests count the calls it makes). */
  clientInterceptors?: ConnectionOptions['interceptors'];
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

/**
 * Where and how to reach the Temporal frontend: plain, or TLS with an mTLS client certificate
 * (TEMPORAL_TLS_CERT_PATH / TEMPORAL_TLS_KEY_PATH) and/or an API key (TEMPORAL_API_KEY, which
 * implies TLS), as Temporal Cloud needs. Used by both the client and the worker's connection.
 */
export function temporalConnectionOptions(temporal: SyncConfig['temporal']): {
  address: string;
  tls?: TLSConfig | true;
  apiKey?: string;
} {
  const tls: TLSConfig | true | undefined = temporal.tls
    ? {
        clientCertPair: { crt: readFileSync(temporal.tls.certPath), key: readFileSync(temporal.tls.keyPath) },
      }
    : temporal.apiKey !== undefined
      ? true
      : undefined;
  return {
    address: temporal.address,
    ...(tls ? { tls } : {}),
    ...(temporal.apiKey !== undefined ? { apiKey: temporal.apiKey } : {}),
  };
}

export async function connectClient(
  config: SyncConfig,
  interceptors?: ConnectionOptions['interceptors'],
): Promise<Client> {
  const connection = await Connection.connect({
    ...temporalConnectionOptions(config.temporal),
    connectTimeout: 5000,
    // Given interceptors replace the SDK's default, which retries transient errors: keep it, innermost.
    ...(interceptors
      ? { interceptors: [...interceptors, makeGrpcRetryInterceptor(defaultGrpcRetryOptions())] }
      : {}),
  });
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config),
  });
}

/**
 * The realtime feeds running in this process. One per process rather than per worker: a workflow
 * task and its feed handled by two workers of one process still meet here.
 */
const runningFeeds = new FeedControlRegistry();

/**
 * The workflow's feedControl sink: a release stops the feed of that generation at once if it runs
 * in this process. Not called on replay: a replayed release was delivered when it was first made
 * (and a replaying worker has no feed of that old generation to stop).
 */
export function feedControlSinks(feeds: FeedControlRegistry): InjectedSinks<FeedControlSinks> {
  return {
    feedControl: {
      release: {
        fn: (info, generation) => {
          feeds.release({ namespace: info.namespace, workflowId: info.workflowId, generation });
        },
        callDuringReplay: false,
      },
    },
  };
}

export async function createSyncWorker(options: SyncWorkerOptions): Promise<SyncWorker> {
  const { config, logger } = options;
  installRuntime(logger, config);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const client = await connectClient(config, options.clientInterceptors);
  const shuttingDown = new AbortController();
  // Every table's Realtime feed listens for the shutdown: no "possible leak" warning past 10 tables.
  setMaxListeners(0, shuttingDown.signal);
  // Metrics (metrics.ts): activity timings/errors/row counts by interceptor, realtime counts and
  // lag from the progress reports. A no-op meter when SYNC_METRICS_ADDRESS=off.
  const metrics = new SyncMetrics(Runtime.instance().metricMeter, logger);
  const activities = createActivities({
    shutdown: shuttingDown.signal,
    source: options.source ?? connectSource(config.source),
    target: options.target ?? connectTarget(config.target),
    logger,
    client,
    feedControl: runningFeeds,
    notify: metrics.wrapNotify({
      realtimeProgress: (workflowId, progress) =>
        client.workflow.getHandle(workflowId).signal(realtimeProgressSignal, progress),
      realtimeSubscribed: (workflowId, at) =>
        client.workflow.getHandle(workflowId).signal(realtimeSubscribedSignal, { at }),
    }),
  });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities,
    sinks: feedControlSinks(runningFeeds),
    dataConverter: dataConverterFor(config),
    interceptors: { activity: [metrics.activityInterceptor(shuttingDown.signal)] },
    // Each table holds one slot for its realtime feed plus one for a pass; leave headroom.
    maxConcurrentActivityTaskExecutions: config.tables.length * 2 + 20,
    // Let in-flight batches finish on shutdown; realtime feeds are cancelled and flush first.
    shutdownGraceTime: '20s',
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
