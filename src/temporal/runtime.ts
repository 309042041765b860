/**
 * The Temporal SDK's runtime for this process: its own logs routed into our JSON logger, and
 * Prometheus metrics (the SDK's and ours, metrics.ts) served at SYNC_METRICS_ADDRESS. Must be
 * installed before any connection; once per process.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { WORKER_SHUTDOWN } from '../contracts/activities.js';
import type { SyncConfig } from '../contracts/config.js';
import type { Logger } from '../contracts/logger.js';
import { tableFromWorkflowId } from '../workflows/ids.js';
import { prometheusExporter } from './metrics.js';
import { errorMessage } from '../core/errors.js';

let installed = false;

/**
 * SDK warnings that report what is meant to happen, logged at debug: the presence worker
 * (engine/presence.ts) polls activities only, and an activity the worker's graceful shutdown ended.
 */
function expected(message: string, meta: Record<string, unknown>): boolean {
  if (message === 'No workflows registered, not polling for workflow tasks') return true;
  const error = meta.error as { type?: unknown } | undefined;
  return message === 'Activity failed' && error?.type === WORKER_SHUTDOWN;
}

export function installRuntime(logger: Logger, config?: Pick<SyncConfig, 'metrics'>): void {
  if (installed) return;
  installed = true;
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
        if (expected(entry.message, meta)) sdk.debug(meta, entry.message);
        else if (entry.level === 'ERROR') sdk.error(meta, entry.message);
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
      `SYNC_METRICS_ADDRESS=${address}: cannot serve Prometheus metrics there (${errorMessage(error)}); syncing without metrics: choose another ip:port or set SYNC_METRICS_ADDRESS=off`,
    );
    install(null);
  }
}
