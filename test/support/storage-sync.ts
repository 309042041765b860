/**
 * Helpers for the Storage sync tests: clients of both projects, a bucket's contents as the storage
 * client sees them (names from storage.objects, bytes hashed from downloads, the metadata a user
 * reads), and a running sync with storage workflows.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { ensureStorageWorkflows, storageSettings } from '../../src/engine/storage.js';
import { objectPath } from '../../src/supabase/storage-project.js';
import { storageWorkflowId } from '../../src/workflows/storage-decisions.js';
import { storageStatusQuery } from '../../src/workflows/storage-messages.js';
import type { StorageStatus, StorageSyncSettings } from '../../src/contracts/storage-sync.js';
import { testStack } from './stack-env.js';
import type { RunningSync } from './sync.js';

const stack = testStack();
const options = {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: WebSocket as unknown as never },
};
export const sourceStorage = createClient(stack.source.url, stack.source.serviceRoleKey, options);
export const targetStorage = createClient(stack.target.url, stack.target.serviceRoleKey, options);
export const sourceDb = new pg.Pool({ connectionString: stack.source.databaseUrl, max: 2 });
export const targetDb = new pg.Pool({ connectionString: stack.target.databaseUrl, max: 2 });

export const uniqueBucket = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export interface SeenObject {
  sha256: string;
  size: number;
  mimetype: string;
  cacheControl: string;
  userMetadata: unknown;
}

/** Every object of the bucket: name → what a user downloads and reads of it. */
export async function bucketContents(
  which: 'source' | 'target',
  bucket: string,
): Promise<Map<string, SeenObject>> {
  const db = which === 'source' ? sourceDb : targetDb;
  const client = which === 'source' ? sourceStorage : targetStorage;
  const rows = await db.query<{ name: string; metadata: Record<string, unknown>; user_metadata: unknown }>(
    'select name, metadata, user_metadata from storage.objects where bucket_id = $1 order by name collate "C"',
    [bucket],
  );
  const out = new Map<string, SeenObject>();
  for (const row of rows.rows) {
    const { data, error } = await client.storage.from(bucket).download(objectPath(row.name)).asStream();
    if (error) throw new Error(`${which} ${bucket}/${row.name}: ${error.message}`);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of data as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.byteLength;
    }
    out.set(row.name, {
      sha256: hash.digest('hex'),
      size,
      mimetype: String(row.metadata.mimetype),
      cacheControl: String(row.metadata.cacheControl),
      userMetadata: row.user_metadata ?? null,
    });
  }
  return out;
}

/** Whether the target's bucket holds what the source's does, byte for byte; else the difference. */
export async function sameContents(bucket: string): Promise<true | string> {
  const [s, t] = await Promise.all([bucketContents('source', bucket), bucketContents('target', bucket)]);
  const problems: string[] = [];
  for (const [name, o] of s) {
    const other = t.get(name);
    if (!other) problems.push(`missing on target: ${name}`);
    else if (JSON.stringify(o) !== JSON.stringify(other))
      problems.push(`differs: ${name} ${JSON.stringify(o)} vs ${JSON.stringify(other)}`);
  }
  for (const name of t.keys()) if (!s.has(name)) problems.push(`only on target: ${name}`);
  return problems.length === 0 ? true : problems.join('; ');
}

export async function startStorage(
  sync: RunningSync,
  buckets: string[],
  overrides: Partial<StorageSyncSettings> = {},
): Promise<void> {
  await ensureStorageWorkflows(
    sync.client,
    sync.config,
    buckets,
    storageSettings(sync.config, { intervalMs: 500, ...overrides }),
  );
}

export function storageStatus(sync: RunningSync, bucket: string): Promise<StorageStatus> {
  return sync.client.workflow.getHandle(storageWorkflowId(bucket)).query(storageStatusQuery);
}

export async function stopStorage(sync: RunningSync, buckets: string[]): Promise<void> {
  for (const b of buckets)
    await sync.client.workflow
      .getHandle(storageWorkflowId(b))
      .terminate('test finished')
      .catch(() => undefined);
}
