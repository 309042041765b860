/**
 * The Storage activities of a bucket's workflow (src/workflows/storage-sync.ts), thin over the
 * Storage ports: `prepareStorageBucket` (the functions' version on both projects, the bucket on
 * the target created or refused, the source's ledger enabled) and `storagePass` (the objects
 * changed since the cursor minus the lookback copied when the target's differ, the refused ones
 * named, then the ledger's deletes and moves replayed). Heartbeats carry the pass's cursor and
 * counts, so a retry resumes there; no object content passes through Temporal.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { SyncError } from '../supabase/ports.js';
import type { ObjectCursor, StorageSource, StorageTarget, StoredObject } from '../supabase/storage-ports.js';
import { ObjectRefusedError } from '../supabase/storage-ports.js';
import {
  laterCursor,
  MAX_REFUSED,
  needsCopy,
  passFrom,
  planBucket,
  refusalOf,
} from '../workflows/storage-decisions.js';
import type { RefusedObject, StoragePassResult } from '../workflows/storage-types.js';
import type { ActivityDeps } from './deps.js';
import { failClearly } from './errors.js';
import { keepBeating } from './heartbeats.js';
import { copyObject, eachLimited } from './storage-copy.js';

/** The supabase-sync functions' version with the Storage functions (20261202150000_sync_storage.sql). */
export const STORAGE_FUNCTIONS_VERSION = 20261202150000;
/** Small objects copied at once within a page. */
const PARALLEL_COPIES = 8;
const LEDGER_PAGE = 1000;

export interface StoragePassInput {
  bucket: string;
  cursor: ObjectCursor | null;
  lookbackMs: number;
  pageSize: number;
  /** Names refused in the last pass: tried again (and dropped once copied or gone). */
  refused: string[];
}

interface Progress {
  after: ObjectCursor | null;
  copied: number;
  bytes: number;
  unchanged: number;
}

function ports(deps: ActivityDeps): { source: StorageSource; target: StorageTarget } {
  if (!deps.storageSource || !deps.storageTarget)
    throw new SyncError('this worker has no Storage adapters (storage is not configured)', 'config');
  return { source: deps.storageSource, target: deps.storageTarget };
}

export function createStorageActivities(deps: ActivityDeps) {
  return {
    async prepareStorageBucket({ bucket }: { bucket: string }): Promise<{ created: boolean }> {
      return failClearly(async () => {
        const { source, target } = ports(deps);
        for (const [role, project] of [
          ['source', deps.source],
          ['target', deps.target],
        ] as const) {
          const version = await project.functionsVersion();
          if (version === null || version < STORAGE_FUNCTIONS_VERSION)
            throw new SyncError(
              `the ${role} project lacks the supabase-sync Storage functions (it has ${version ?? 'none'}, storage sync needs ${STORAGE_FUNCTIONS_VERSION}): apply supabase/migrations/20261202150000_sync_storage.sql (npx supabase-sync migrate --apply --db-url …)`,
              'migration',
            );
        }
        const settings = await source.getBucket(bucket);
        if (!settings)
          throw new SyncError(
            `bucket ${bucket} does not exist on the source project: create it, or remove it from "storage.buckets" in the tables file`,
            'config',
          );
        const plan = planBucket(settings, await target.getBucket(bucket));
        if (plan.action === 'refuse') throw new SyncError(plan.message, 'config');
        if (plan.action === 'create') {
          await target.createBucket(settings);
          deps.logger.info(
            { bucket },
            `bucket ${bucket} created on the target (public ${String(settings.public)})`,
          );
        }
        await source.enableBucket(bucket);
        return { created: plan.action === 'create' };
      });
    },

    async storagePass(input: StoragePassInput): Promise<StoragePassResult> {
      const { bucket } = input;
      const { source, target } = ports(deps);
      const resumed = Context.current().info.heartbeatDetails as Progress | undefined;
      const p: Progress = resumed ?? { after: null, copied: 0, bytes: 0, unchanged: 0 };
      const signal = Context.current().cancellationSignal;
      return failClearly(() =>
        keepBeating(
          () => p,
          async () => {
            const bucketSettings = await target.getBucket(bucket);
            if (!bucketSettings)
              throw new SyncError(
                `bucket ${bucket} is gone from the target: it is created again at the next start`,
                'config',
              );
            const refused = new Map<string, RefusedObject>();
            const copyAll = async (objects: StoredObject[]) => {
              const onTarget = new Map(
                (
                  await target.objectsByName(
                    bucket,
                    objects.map((o) => o.name),
                  )
                ).map((o) => [o.name, o]),
              );
              await eachLimited(objects, PARALLEL_COPIES, async (object) => {
                const refusal = refusalOf(object, bucketSettings);
                if (refusal) {
                  refused.set(object.name, refusal);
                  return;
                }
                if (!needsCopy(object, onTarget.get(object.name))) {
                  p.unchanged++;
                  return;
                }
                try {
                  const outcome = await copyObject(
                    { source, target },
                    bucket,
                    object,
                    (n) => (p.bytes += n),
                    signal,
                  );
                  if (outcome === 'copied') p.copied++;
                } catch (error) {
                  if (!(error instanceof ObjectRefusedError)) throw error;
                  refused.set(object.name, {
                    name: object.name,
                    reason: error.reason,
                    message: error.message,
                  });
                }
              });
            };
            // The objects refused last time first: still refused, or copied now.
            if (input.refused.length > 0) await copyAll(await source.objectsByName(bucket, input.refused));
            const from = passFrom(input.cursor, input.lookbackMs);
            let newest: ObjectCursor | null = null;
            for (;;) {
              const page = await source.changedObjects(
                bucket,
                p.after ? null : from,
                p.after,
                input.pageSize,
              );
              if (page.length === 0) break;
              await copyAll(page);
              const last = page[page.length - 1] as StoredObject;
              p.after = { updatedAt: last.updatedAt, name: last.name };
              newest = laterCursor(newest, p.after);
              if (page.length < input.pageSize) break;
            }
            const deleted = await replayLedger(source, target, bucket);
            for (const r of refused.values())
              deps.logger.warn({ bucket, object: r.name }, `${bucket}/${r.name}: not copied: ${r.message}`);
            return {
              cursor: laterCursor(input.cursor, newest),
              copied: p.copied,
              bytes: p.bytes,
              unchanged: p.unchanged,
              deleted,
              refused: [...refused.values()].slice(0, MAX_REFUSED),
              refusedCount: refused.size,
            };
          },
        ),
      ).catch((error: unknown) => {
        if (signal.aborted) throw ApplicationFailure.retryable('the pass was cancelled', 'Cancelled');
        throw error;
      });
    },
  };
}

/**
 * The ledger's entries: a name the source has again (re-uploaded, moved back) is kept; the others
 * are removed from the target. Returns how many entries removed an object.
 */
async function replayLedger(source: StorageSource, target: StorageTarget, bucket: string): Promise<number> {
  let removed = 0;
  for (;;) {
    const entries = await source.pendingLedger(bucket, LEDGER_PAGE);
    if (entries.length === 0) return removed;
    const names = [...new Set(entries.map((e) => e.name))];
    const present = new Set((await source.objectsByName(bucket, names)).map((o) => o.name));
    const gone = names.filter((n) => !present.has(n));
    const onTarget = (await target.objectsByName(bucket, gone)).map((o) => o.name);
    await target.remove(bucket, onTarget);
    removed += onTarget.length;
    await source.markProcessed(entries.map((e) => e.id));
    if (entries.length < LEDGER_PAGE) return removed;
  }
}
