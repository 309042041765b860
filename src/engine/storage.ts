/**
 * Storage sync for `npm run sync` (docs/storage.md): the buckets of the tables file's `storage`
 * key (`"*"`: every bucket of the source), and one `storageSync` workflow per bucket
 * (`storage-sync:<bucket>`), kept running beside the tables' (a running one gets the current
 * settings; those of buckets no longer configured are stopped).
 */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import type { Logger } from '../contracts/logger.js';
import type { StorageSource } from '../contracts/storage-ports.js';
import type { StorageSyncSettings } from '../contracts/storage-sync.js';
import { errorMessage } from '../core/errors.js';
import { bucketFromWorkflowId, storageWorkflowId } from '../workflows/storage-decisions.js';
import { storageConfigureUpdate, storageStopUpdate } from '../workflows/storage-messages.js';
import { storageSync } from '../workflows/storage-sync.js';
import { isRunning } from './tables.js';
import { withStopSignal } from '../temporal/abort-scope.js';

export function storageSettings(
  config: SyncConfig,
  overrides: Partial<StorageSyncSettings> = {},
): StorageSyncSettings {
  return {
    intervalMs: config.reconcile.intervalMs,
    lookbackMs: config.reconcile.lookbackMs,
    pageSize: 1000,
    loop: config.loop && config.mode !== 'reconcile',
    maxPassesPerRun: 500,
    ...overrides,
  };
}

/** The bucket ids to sync: those listed, or every bucket of the source for `"*"`. */
export async function resolveBuckets(config: SyncConfig, source: StorageSource): Promise<string[]> {
  const buckets = config.storage?.buckets;
  if (!buckets) return [];
  if (buckets !== '*') return buckets;
  return (await source.listBuckets()).map((b) => b.id).sort();
}

export interface EnsuredBucket {
  bucket: string;
  workflowId: string;
  started: boolean;
}

export async function ensureStorageWorkflows(
  client: Client,
  config: SyncConfig,
  buckets: string[],
  settings: StorageSyncSettings = storageSettings(config),
): Promise<EnsuredBucket[]> {
  const ensured: EnsuredBucket[] = [];
  for (const bucket of buckets) {
    const workflowId = storageWorkflowId(bucket);
    if (await isRunning(client, workflowId)) {
      await client.workflow.getHandle(workflowId).executeUpdate(storageConfigureUpdate, { args: [settings] });
      ensured.push({ bucket, workflowId, started: false });
      continue;
    }
    await client.workflow.start(storageSync, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{ bucket, settings }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    ensured.push({ bucket, workflowId, started: true });
  }
  return ensured;
}

/**
 * Bucket workflows of this task queue whose bucket is no longer configured: stopped (their state is
 * the result), unless `keep`. Returns the buckets found.
 */
export async function stopUnconfiguredBuckets(
  client: Client,
  config: SyncConfig,
  buckets: string[],
  options: { keep: boolean; logger: Logger },
): Promise<string[]> {
  const configured = new Set(buckets);
  const found: string[] = [];
  for await (const wf of client.workflow.list({
    query: `WorkflowType = 'storageSync' AND ExecutionStatus = 'Running'`,
  })) {
    const bucket = bucketFromWorkflowId(wf.workflowId);
    if (!bucket || configured.has(bucket) || wf.taskQueue !== config.temporal.taskQueue) continue;
    found.push(bucket);
    if (options.keep) {
      options.logger.warn(
        { bucket },
        `bucket ${bucket}: not in ${config.tableConfigFile}, its workflow ${wf.workflowId} kept running (--keep-unconfigured)`,
      );
      continue;
    }
    options.logger.warn(
      { bucket },
      `bucket ${bucket}: not in ${config.tableConfigFile}: stopping its workflow ${wf.workflowId}`,
    );
    await client.workflow
      .getHandle(wf.workflowId)
      .executeUpdate(storageStopUpdate)
      .catch((error: unknown) =>
        options.logger.warn(
          { bucket },
          `bucket ${bucket}: could not stop ${wf.workflowId}: ${errorMessage(error)}`,
        ),
      );
  }
  return found;
}

/**
 * `npm run sync --cron` (reconcile-only): one pass per bucket, each a `storageSync` run with
 * `loop: false` (id `storage-once:<bucket>:<time>`), awaited. Returns one result line per bucket.
 */
export async function storageOnce(
  client: Client,
  config: SyncConfig,
  buckets: string[],
  signal: AbortSignal,
): Promise<Array<{ bucket: string; ok: boolean; line: string }>> {
  const results: Array<{ bucket: string; ok: boolean; line: string }> = [];
  for (const bucket of buckets) {
    const status = await withStopSignal(client, signal, () =>
      client.workflow.execute(storageSync, {
        workflowId: `storage-once:${bucket}:${new Date().toISOString()}`,
        taskQueue: config.temporal.taskQueue,
        args: [{ bucket, settings: storageSettings(config, { loop: false }) }],
      }),
    );
    const p = status.lastPass;
    const ok = p?.ok === true && status.lastError === null;
    results.push({
      bucket,
      ok,
      line: ok
        ? `bucket ${bucket}: ok — copied ${p.copied}, unchanged ${p.unchanged}, removed ${p.deleted}, refused ${p.refused}${status.refused.length > 0 ? ` (${status.refused.map((r) => r.name).join(', ')})` : ''}`
        : `bucket ${bucket}: FAILED — ${status.lastError?.message ?? 'no pass ran'}`,
    });
  }
  return results;
}
