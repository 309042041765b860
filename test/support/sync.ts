/**
 * Runs the real sync engine in the test process: a Temporal worker (on a task queue of its own)
 * against the harness's stack, with the workflow bundle the harness built once for the run.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import type { SyncConfig, TableConfig } from '../../src/contracts/config.js';
import { createLogger } from '../../src/engine/logger.js';
import { syncSettings } from '../../src/config/settings.js';
import { enableDeleteTracking, ensureTableWorkflows } from '../../src/engine/tables.js';
import { connectSource } from '../../src/supabase/source.js';
import type { SourceProject, TargetProject } from '../../src/contracts/ports.js';
import type { DirectDatabases } from '../../src/contracts/direct-ports.js';
import { createSyncWorker, type SyncWorker } from '../../src/worker.js';
import { workflowBundle as cachedWorkflowBundle } from '../../src/temporal/workflow-bundle.js';
import { reconcileNowUpdate, statusQuery } from '../../src/workflows/messages.js';
import { workflowIdFor } from '../../src/workflows/ids.js';
import type { ReconcileResult, SyncSettings, TableStatus } from '../../src/contracts/table-sync.js';
import { testStack } from './stack-env.js';
import { waitFor } from './wait.js';

let bundle: Promise<WorkflowBundle> | undefined;

/** The workflow bundle (built once per version of the code: src/temporal/workflow-bundle.ts). */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= cachedWorkflowBundle();
  return bundle;
}

export function table(
  name: string,
  options: Partial<Omit<TableConfig, 'schema' | 'table' | 'qualifiedName'>> = {},
): TableConfig {
  const [schema, tableName] = name.includes('.') ? (name.split('.') as [string, string]) : ['public', name];
  return {
    schema,
    table: tableName,
    qualifiedName: `${schema}.${tableName}`,
    primaryKeys: options.primaryKeys ?? ['id'],
    incrementalFields: options.incrementalFields ?? ['updated_at', 'created_at'],
    realtime: options.realtime ?? true,
    reconcile: options.reconcile ?? true,
  };
}

export function testConfig(
  tables: TableConfig[],
  overrides: Partial<Pick<SyncConfig, 'realtime' | 'loop' | 'mode' | 'metrics' | 'logLevel'>> & {
    reconcile?: Partial<SyncConfig['reconcile']>;
  } = {},
): SyncConfig {
  const stack = testStack();
  return {
    source: { url: stack.source.url, serviceRoleKey: stack.source.serviceRoleKey },
    target: { url: stack.target.url, serviceRoleKey: stack.target.serviceRoleKey },
    reconcile: {
      intervalMs: 1000,
      // The same cadence whether the Realtime feed is live or not; tests of the live cadence set it.
      liveIntervalMs: 0,
      lookbackMs: 300_000,
      batchSize: 500,
      initialBackfillMs: undefined,
      ...overrides.reconcile,
    },
    discovery: { intervalMs: 60_000 },
    failover: { afterMs: 4000 },
    mode: overrides.mode ?? 'default',
    realtime: overrides.realtime ?? true,
    loop: overrides.loop ?? true,
    temporal: {
      address: stack.temporal.address,
      namespace: stack.temporal.namespace,
      taskQueue: `test-${randomBytes(4).toString('hex')}`,
    },
    // Off unless a test asks: test files run in parallel processes and would fight over one port.
    metrics: overrides.metrics ?? { address: null },
    logLevel: overrides.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'warn',
    envFile: undefined,
    tableConfigFile: '(test)',
    tables,
  };
}

/** Collects the worker's log lines (JSON) so tests can read what a user would read. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(line);
    if (process.env.TEST_VERBOSE) process.stderr.write(chunk);
    done();
  }
}

export interface RunningSync {
  config: SyncConfig;
  client: Client;
  worker: SyncWorker;
  logs: LogCapture;
  settings: SyncSettings;
  status(t: TableConfig): Promise<TableStatus>;
  /** Stops the worker (graceful). Workflows keep running on the server, waiting for a worker. */
  stopWorker(): Promise<void>;
  /** Terminates the table workflows and stops the worker. */
  close(): Promise<void>;
}

export async function startSync(
  config: SyncConfig,
  options: {
    settings?: Partial<SyncSettings>;
    source?: SourceProject;
    target?: TargetProject;
    direct?: DirectDatabases;
    startWorkflows?: boolean;
  } = {},
): Promise<RunningSync> {
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  await enableDeleteTracking(options.source ?? connectSource(config.source), config);
  const worker = await createSyncWorker({
    config,
    logger,
    workflowBundle: await workflowBundle(),
    source: options.source,
    target: options.target,
    ...(options.direct ? { direct: options.direct } : {}),
  });
  const running = worker.run();
  running.catch(() => undefined);
  const settings = syncSettings(config, options.settings);
  if (options.startWorkflows !== false) await ensureTableWorkflows(worker.client, config, settings);
  let stopped = false;
  const stopWorker = async () => {
    if (stopped) return;
    stopped = true;
    await worker.shutdown();
  };
  return {
    config,
    client: worker.client,
    worker,
    logs,
    settings,
    status: (t) => worker.client.workflow.getHandle(workflowIdFor(t)).query(statusQuery),
    stopWorker,
    close: async () => {
      // Stop the worker first (its realtime feeds hand over), then end the workflows.
      await stopWorker();
      for (const t of config.tables) {
        await worker.client.workflow
          .getHandle(workflowIdFor(t))
          .terminate('test finished')
          .catch(() => undefined);
      }
      await worker.close();
    },
  };
}

/** Waits until the table's initial copy is done and its realtime feed (if enabled) is live. */
export async function waitUntilSyncing(
  sync: RunningSync,
  t: TableConfig,
  options: { realtime?: boolean; timeoutMs?: number } = {},
): Promise<TableStatus> {
  return waitFor(
    async () => {
      const status = await sync.status(t);
      const realtimeReady = options.realtime === false || status.realtime.connected;
      return status.initialCopy.done && realtimeReady ? status : undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 20_000,
      message: async () =>
        `table ${t.qualifiedName} not syncing: ${JSON.stringify(await sync.status(t).catch((e: unknown) => String(e)))}`,
    },
  );
}

/**
 * Waits until `count` more passes have completed than when called. The tests that use it assert
 * what holds after passes, not how fast they come: the deadline (15 s for passes 1 s apart) leaves
 * room for a machine busy with other test files or a benchmark.
 */
export async function passesComplete(
  sync: RunningSync,
  t: TableConfig,
  count: number,
  timeoutMs = 15_000,
): Promise<void> {
  const start = (await sync.status(t)).passes;
  await waitFor(async () => (await sync.status(t)).passes >= start + count, {
    timeoutMs,
    message: async () => `fewer than ${count} passes completed: ${JSON.stringify(await sync.status(t))}`,
  });
}

/** Runs a pass now through the reconcileNow update and returns its result. */
export function reconcileNow(
  sync: RunningSync,
  t: TableConfig,
  options: { since?: string; full?: boolean } = {},
): Promise<ReconcileResult> {
  return sync.client.workflow
    .getHandle(workflowIdFor(t))
    .executeUpdate(reconcileNowUpdate, { args: [options] });
}
