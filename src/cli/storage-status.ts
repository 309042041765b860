/**
 * The buckets' part of `supabase-sync status`: each `storage-sync:<bucket>` workflow's status query
 * (the buckets of the tables file's `storage` key; for `"*"`, the running storage workflows of the
 * task queue), and how it prints.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SyncConfig } from '../contracts/config.js';
import type { StorageStatus } from '../contracts/storage-sync.js';
import { errorMessage } from '../core/errors.js';
import { bucketFromWorkflowId, storageWorkflowId } from '../workflows/storage-decisions.js';
import { storageStatusQuery } from '../workflows/storage-messages.js';
import { ago, clock } from './common.js';

export type StorageEntry =
  StorageStatus | { bucket: string; workflowId: string; state: string; note?: string };

const QUERY_TIMEOUT_MS = 3000;

async function configuredBuckets(c: Client, cfg: SyncConfig): Promise<string[]> {
  const buckets = cfg.storage?.buckets;
  if (!buckets) return [];
  if (buckets !== '*') return buckets;
  const found: string[] = [];
  for await (const wf of c.workflow.list({
    query: `WorkflowType = 'storageSync' AND ExecutionStatus = 'Running'`,
  })) {
    const bucket = bucketFromWorkflowId(wf.workflowId);
    if (bucket && wf.taskQueue === cfg.temporal.taskQueue) found.push(bucket);
  }
  return found.sort();
}

export async function readStorageStatuses(
  c: Client,
  cfg: SyncConfig,
  live: boolean,
): Promise<StorageEntry[]> {
  const buckets = await configuredBuckets(c, cfg);
  return Promise.all(
    buckets.map(async (bucket): Promise<StorageEntry> => {
      const workflowId = storageWorkflowId(bucket);
      try {
        if (!live) {
          // What the workflow last recorded in its memo (marked with its age), else its status.
          const d = await c.workflow.getHandle(workflowId).describe();
          const memo = d.memo?.syncStatus as (StorageStatus & { recordedAt?: number }) | undefined;
          if (memo && d.status.name === 'RUNNING') return memo;
          return {
            bucket,
            workflowId,
            state: d.status.name.toLowerCase(),
            note: 'no details without a worker',
          };
        }
        return await c.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
          c.workflow.getHandle(workflowId).query(storageStatusQuery),
        );
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return { bucket, workflowId, state: 'not started' };
        return { bucket, workflowId, state: 'unknown', note: errorMessage(error) };
      }
    }),
  );
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function storageLines(s: StorageEntry, now = Date.now()): string {
  if (!('counters' in s)) return `bucket ${s.bucket}: ${s.state}${s.note ? ` (${s.note})` : ''}`;
  const p = s.lastPass;
  const pass = p
    ? `${p.ok ? 'ok' : 'FAILED'} at ${clock(p.finishedAt)} (${ago(p.finishedAt, now)}): copied ${p.copied} (${mb(p.bytes)}), unchanged ${p.unchanged}, removed ${p.deleted}, refused ${p.refused}${p.error ? ` — ${p.error}` : ''}`
    : 'none yet';
  const c = s.counters;
  const recorded =
    'recordedAt' in s && typeof s.recordedAt === 'number'
      ? ` (as recorded ${ago(s.recordedAt, now)}, at ${clock(s.recordedAt)})`
      : '';
  return [
    `bucket ${s.bucket}: ${s.state}${recorded}`,
    `  last pass: ${pass}`,
    `  objects copied ${c.objectsCopied} (${mb(c.bytesCopied)}), removed ${c.objectsDeleted}; changed up to ${s.cursor?.updatedAt ?? 'nothing yet'}`,
    ...s.refused.map((r) => `  not copied: ${r.name}: ${r.message}`),
    ...(s.refusedCount > s.refused.length
      ? [`  … and ${s.refusedCount - s.refused.length} more not copied`]
      : []),
    `  last error: ${s.lastError ? `${ago(s.lastError.at, now)}: ${s.lastError.message}` : 'none'}`,
  ].join('\n');
}
