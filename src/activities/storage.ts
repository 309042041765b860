/**
 * The Storage activities of a bucket's workflow (src/workflows/storage-sync.ts), thin over the
 * Storage ports: `prepareStorageBucket` (the functions' version on both projects, the bucket on
 * the target created or refused, the source's ledger enabled) and `storagePass` (the objects
 * changed since the cursor minus the lookback copied when the target's differ, the refused ones
 * named, then the ledger's deletes and moves replayed). Heartbeats carry the pass's cursor and
 * counts, so a retry resumes there; no object content passes through Temporal.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { SyncError } from '../contracts/ports.js';
import type {
  BucketSettings,
  ObjectCursor,
  StorageSource,
  StorageTarget,
  StoredObject,
} from '../contracts/storage-ports.js';
import { ObjectRefusedError } from '../contracts/storage-ports.js';
import type { RefusedObject, StoragePassResult } from '../contracts/storage-sync.js';
import {
  laterCursor,
  MAX_REFUSED,
  needsCopy,
  passFrom,
  planBucket,
  refusalOf,
} from '../core/storage-compare.js';
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

/** The functions' version on both projects, the bucket on the target created or refused, the source's ledger on. */
async function prepareBucket(deps: ActivityDeps, bucket: string): Promise<{ created: boolean }> {
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
}

/** One storagePass attempt: `p` is its progress (the heartbeat a retry resumes from). */
class StoragePassRun {
  private readonly refused = new Map<string, RefusedObject>();
  private readonly source: StorageSource;
  private readonly target: StorageTarget;
  private settings: BucketSettings | null = null;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly input: StoragePassInput,
    readonly p: Progress,
    private readonly signal: AbortSignal,
  ) {
    ({ source: this.source, target: this.target } = ports(deps));
  }

  async run(): Promise<StoragePassResult> {
    const { bucket } = this.input;
    this.settings = await this.target.getBucket(bucket);
    if (!this.settings)
      throw new SyncError(
        `bucket ${bucket} is gone from the target: it is created again at the next start`,
        'config',
      );
    // The objects refused last time first: still refused, or copied now.
    if (this.input.refused.length > 0)
      await this.copyAll(await this.source.objectsByName(bucket, this.input.refused));
    const newest = await this.copyChanged();
    const deleted = await replayLedger(this.source, this.target, bucket);
    for (const r of this.refused.values())
      this.deps.logger.warn({ bucket, object: r.name }, `${bucket}/${r.name}: not copied: ${r.message}`);
    return {
      cursor: laterCursor(this.input.cursor, newest),
      copied: this.p.copied,
      bytes: this.p.bytes,
      unchanged: this.p.unchanged,
      deleted,
      refused: [...this.refused.values()].slice(0, MAX_REFUSED),
      refusedCount: this.refused.size,
    };
  }

  /** The objects changed since the cursor (minus the lookback), page by page; returns the newest position. */
  private async copyChanged(): Promise<ObjectCursor | null> {
    const { bucket, pageSize } = this.input;
    const from = passFrom(this.input.cursor, this.input.lookbackMs);
    let newest: ObjectCursor | null = null;
    for (;;) {
      const page = await this.source.changedObjects(
        bucket,
        this.p.after ? null : from,
        this.p.after,
        pageSize,
      );
      if (page.length === 0) break;
      await this.copyAll(page);
      const last = page[page.length - 1] as StoredObject;
      this.p.after = { updatedAt: last.updatedAt, name: last.name };
      newest = laterCursor(newest, this.p.after);
      if (page.length < pageSize) break;
    }
    return newest;
  }

  private async copyAll(objects: StoredObject[]): Promise<void> {
    const names = objects.map((o) => o.name);
    const onTarget = new Map(
      (await this.target.objectsByName(this.input.bucket, names)).map((o) => [o.name, o]),
    );
    await eachLimited(objects, PARALLEL_COPIES, (object) => this.copyOne(object, onTarget.get(object.name)));
  }

  private async copyOne(object: StoredObject, onTarget: StoredObject | undefined): Promise<void> {
    const refusal = refusalOf(object, this.settings!);
    if (refusal) {
      this.refused.set(object.name, refusal);
      return;
    }
    if (!needsCopy(object, onTarget)) {
      this.p.unchanged++;
      return;
    }
    try {
      const ports = { source: this.source, target: this.target };
      const count = (n: number) => (this.p.bytes += n);
      const outcome = await copyObject(ports, this.input.bucket, object, count, this.signal);
      if (outcome === 'copied') this.p.copied++;
    } catch (error) {
      if (!(error instanceof ObjectRefusedError)) throw error;
      this.refused.set(object.name, { name: object.name, reason: error.reason, message: error.message });
    }
  }
}

export function createStorageActivities(deps: ActivityDeps) {
  return {
    async prepareStorageBucket({ bucket }: { bucket: string }): Promise<{ created: boolean }> {
      return failClearly(() => prepareBucket(deps, bucket));
    },

    async storagePass(input: StoragePassInput): Promise<StoragePassResult> {
      const resumed = Context.current().info.heartbeatDetails as Progress | undefined;
      const p: Progress = resumed ?? { after: null, copied: 0, bytes: 0, unchanged: 0 };
      const signal = Context.current().cancellationSignal;
      return failClearly(() =>
        keepBeating(
          () => p,
          () => new StoragePassRun(deps, input, p, signal).run(),
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
