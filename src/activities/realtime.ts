/**
 * The realtime feed: subscribes to the source table's `postgres_changes`, applies changes to the
 * target in micro-batches (coalesced per key, commit order kept), heartbeats, and reports progress
 * to the workflow by signal — never a signal per row: a connection change at once, counts and the
 * watermark at most every PROGRESS_INTERVAL_MS, nothing while nothing changes (a signal is a
 * billed Temporal action). Metrics see every batch at once, locally (`deps.notify.observeRealtime`).
 *
 * Supabase Realtime is at-most-once: every (re)subscribe is reported so the workflow runs a
 * catch-up reconciliation at once; a truncated or errored payload is re-read from the source by
 * key; a lost subscription fails the activity and Temporal retries it with backoff.
 *
 * The feed stops when its workflow releases it through the feedControl sink (FeedControlRegistry,
 * at once, within this worker process) or cancels it (learnt from a heartbeat response, ≤ ~48 s); it
 * never asks the workflow (a query is a billed action).
 */
import { activityInfo, ApplicationFailure, CancelledFailure, Context, heartbeat } from '@temporalio/activity';
import type { ChangeEvent, Row, TableRef } from '../supabase/ports.js';
import { advanceCursor } from '../workflows/decisions.js';
import type { RealtimeProgress } from '../workflows/types.js';
import type { ActivityDeps, FeedControl, FeedRef } from './deps.js';
import { asActivityFailure } from './errors.js';
import type { RealtimeFeedInput } from './types.js';

/** Changes are applied at most this long after they arrive (or sooner when a batch fills). */
const FLUSH_INTERVAL_MS = 20;
const MAX_BATCH = 500;
/** The subscription must be live (`system` ok) within this time, or the attempt fails. */
const SUBSCRIBE_TIMEOUT_MS = 20_000;
const APPLY_ATTEMPTS = 3;
/** How long a release that found no running feed is remembered (the attempt may still be starting). */
const RELEASE_MEMORY_MS = 10 * 60_000;
/**
 * Counts and the watermark go to the workflow at most this often (the first change after a quiet
 * spell goes at once); connection changes go at once. Input `progressIntervalMs` overrides it.
 */
export const PROGRESS_INTERVAL_MS = 30_000;

/**
 * The realtime feeds running in this worker process, so that their workflows can stop them at once
 * through the feedControl sink (src/worker.ts): no Temporal call, nothing in history, not billed.
 *
 * - `release(feed)` stops the feed of that workflow and generation now. One that finds no feed
 *   is remembered for RELEASE_MEMORY_MS, so an attempt that was still starting stops as soon as it
 *   listens; a generation (`<runId>/<n>`) is never wanted again once released.
 * - `listen` stops an older feed of the same workflow still registered here: a workflow wants at
 *   most one feed and awaits the end of one before it starts the next, and Temporal starts another
 *   attempt only once it has given up on the last one, so that older feed is stale (an attempt whose
 *   heartbeats timed out, say while Temporal was unreachable, or a run already continued-as-new).
 *
 * A feed running in another process is not reached from here: cancellation is the fallback there.
 */
export class FeedControlRegistry implements FeedControl {
  /** By workflow (`namespace workflowId`): the one feed registered for it. */
  private readonly feeds = new Map<string, { generation: string; stop: (reason: string) => void }>();
  /** `namespace workflowId generation` → when released, oldest first. */
  private readonly released = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  listen(ref: FeedRef, onRelease: (reason: string) => void): () => void {
    const workflow = `${ref.namespace} ${ref.workflowId}`;
    const older = this.feeds.get(workflow);
    if (older) {
      this.feeds.delete(workflow);
      older.stop(`a newer feed of this workflow started in this worker (generation ${ref.generation})`);
    }
    if (this.released.has(`${workflow} ${ref.generation}`)) {
      onRelease('released by the workflow before it started');
      return () => {};
    }
    const feed = { generation: ref.generation, stop: onRelease };
    this.feeds.set(workflow, feed);
    return () => {
      if (this.feeds.get(workflow) === feed) this.feeds.delete(workflow);
    };
  }

  /** Returns whether the feed was running here. */
  release(ref: FeedRef): boolean {
    const now = this.now();
    for (const [key, at] of this.released) {
      if (now - at < RELEASE_MEMORY_MS) break;
      this.released.delete(key);
    }
    const workflow = `${ref.namespace} ${ref.workflowId}`;
    this.released.set(`${workflow} ${ref.generation}`, now);
    const feed = this.feeds.get(workflow);
    if (feed?.generation !== ref.generation) return false;
    this.feeds.delete(workflow);
    feed.stop('released by the workflow');
    return true;
  }

  /** How many feeds are registered (for tests). */
  get running(): number {
    return this.feeds.size;
  }
}

export function keyString(ref: TableRef, row: Row): string {
  return JSON.stringify(ref.primaryKeys.map((k) => row[k] ?? null));
}

export interface MicroBatch {
  upserts: Row[];
  deletes: Row[];
  /** Keys whose payload was truncated or errored: re-read from the source. */
  reread: Row[];
  maxCommit: string | null;
}

/**
 * Coalesces changes per key, keeping commit order: the last change to a key wins, and an update
 * that changed the key also deletes the old key. `columns`: the table's columns, when known. An
 * UPDATE whose record lacks some of them (Realtime leaves out unchanged TOAST values — large text,
 * jsonb, bytea) is re-read by key rather than written with those columns missing.
 */
export function coalesce(
  ref: TableRef,
  events: ChangeEvent[],
  columns?: ReadonlySet<string>,
  unscaled: ReadonlySet<string> = new Set(),
): MicroBatch {
  const latest = new Map<string, { kind: 'upsert' | 'delete' | 'reread'; row: Row }>();
  let maxCommit: string | null = null;
  const put = (kind: 'upsert' | 'delete' | 'reread', row: Row) => {
    const key = keyString(ref, row);
    latest.delete(key); // re-insert at the end: Map order is commit order of the last change
    latest.set(key, { kind, row });
  };
  for (const event of events) {
    maxCommit = advanceCursor(maxCommit, event.commitTimestamp);
    const pk = (row: Row | undefined): Row | undefined =>
      row && ref.primaryKeys.every((k) => row[k] !== undefined)
        ? Object.fromEntries(ref.primaryKeys.map((k) => [k, row[k]]))
        : undefined;
    if (event.type === 'DELETE') {
      const key = pk(event.oldRecord);
      if (key) put('delete', { ...key, _deleted_at: event.commitTimestamp });
      continue;
    }
    const oldKey = pk(event.oldRecord);
    const newKey = pk(event.record);
    if (oldKey && newKey && keyString(ref, oldKey) !== keyString(ref, newKey)) {
      put('delete', { ...oldKey, _deleted_at: event.commitTimestamp });
    }
    if (!newKey) continue;
    const partial =
      event.type === 'UPDATE' && columns !== undefined && [...columns].some((c) => !(c in event.record!));
    // A value of a numeric column without a declared scale lost its scale (1.50 → 1.5) in JSON.
    const scaled = [...unscaled].some((c) => event.record![c] !== null && event.record![c] !== undefined);
    if (event.errors || partial || scaled) put('reread', newKey);
    // The commit time lets the target tell a row re-inserted after a delete from a stale copy.
    else put('upsert', { ...event.record!, _sync_commit_at: event.commitTimestamp });
  }
  const batch: MicroBatch = { upserts: [], deletes: [], reread: [], maxCommit };
  for (const { kind, row } of latest.values()) {
    if (kind === 'upsert') batch.upserts.push(row);
    else if (kind === 'delete') batch.deletes.push(row);
    else batch.reread.push(row);
  }
  return batch;
}

export function createRealtimeActivities(deps: ActivityDeps) {
  return {
    async streamRealtimeChanges(input: RealtimeFeedInput): Promise<void> {
      const ref = input.table;
      const table = `${ref.schema}.${ref.table}`;
      const ctx = Context.current();
      const workflowId = activityInfo().workflowExecution?.workflowId;
      if (!workflowId)
        throw ApplicationFailure.nonRetryable('streamRealtimeChanges runs only inside a table workflow');
      const progressEvery = input.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
      const log = deps.logger.child({ table, attempt: activityInfo().attempt });

      // The table's columns: from a row read now, then from every INSERT (which carries all of them).
      const columns = new Set<string>(await deps.source.readColumns(ref).catch(() => []));
      const unscaled = new Set<string>(await deps.source.readUnscaledNumericColumns(ref).catch(() => []));
      let queue: ChangeEvent[] = [];
      let failure: string | null = null;
      let live = false;
      let wake: (() => void) | null = null;
      const nudge = () => {
        wake?.();
        wake = null;
      };
      const pending: RealtimeProgress = {
        connected: false,
        watermark: null,
        lagMs: null,
        written: 0,
        skipped: 0,
        deleted: 0,
        reread: 0,
      };
      let dirty = false;
      let lastProgress = 0;
      /** The connection state the workflow last heard from this attempt (null: nothing yet). */
      let told: boolean | null = null;
      /** Metrics: every batch and connection change, locally (no Temporal call). */
      const observe = (delta: Partial<RealtimeProgress>) => {
        try {
          deps.notify.observeRealtime?.(workflowId, {
            connected: pending.connected,
            watermark: pending.watermark,
            lagMs: null,
            written: 0,
            skipped: 0,
            deleted: 0,
            reread: 0,
            ...delta,
          });
        } catch (error) {
          log.warn({ err: String(error) }, 'could not record realtime metrics');
        }
      };

      const subscription = deps.source.subscribe(
        ref,
        (event) => {
          if (event.type === 'INSERT' && event.record && !event.errors) {
            for (const column of Object.keys(event.record)) columns.add(column);
          }
          queue.push(event);
          // The first change of a batch starts a short coalescing window; a full batch goes at once.
          if (queue.length === 1) setTimeout(nudge, FLUSH_INTERVAL_MS);
          else if (queue.length >= MAX_BATCH) nudge();
        },
        (status) => {
          if (status.kind === 'live') {
            live = true;
            pending.connected = true;
            observe({});
            // The realtimeSubscribed signal tells the workflow it is connected: no progress signal.
            told = true;
            log.info('realtime subscription live; asking for a catch-up reconciliation');
            deps.notify.realtimeSubscribed(workflowId, new Date().toISOString()).catch((error: unknown) => {
              log.warn({ err: String(error) }, 'could not report the subscription to the workflow');
              told = null; // the next progress report says it
            });
          } else {
            failure = status.reason;
          }
          nudge();
        },
      );

      const applyWithRetry = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await work();
          } catch (error) {
            if (attempt >= APPLY_ATTEMPTS) throw error;
            log.warn({ err: (error as Error).message, attempt }, `${what} failed; retrying`);
            await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
          }
        }
      };

      const flush = async () => {
        if (queue.length === 0) return;
        const events = queue;
        queue = [];
        const batch = coalesce(ref, events, columns.size > 0 ? columns : undefined, unscaled);
        const delta = { written: 0, skipped: 0, deleted: 0, reread: 0 };
        if (batch.reread.length > 0) {
          const rows = await applyWithRetry('re-reading truncated rows', () =>
            deps.source.readRowsByKeys(ref, batch.reread),
          );
          batch.upserts.push(...rows);
          delta.reread = batch.reread.length;
        }
        if (batch.upserts.length > 0) {
          const r = await applyWithRetry('applying upserts', () =>
            deps.target.applyUpserts(ref, input.versionColumn, batch.upserts),
          );
          delta.written = r.written;
          delta.skipped = r.skipped;
        }
        if (batch.deletes.length > 0) {
          const r = await applyWithRetry('applying deletes', () =>
            deps.target.applyDeletes(ref, input.versionColumn, batch.deletes),
          );
          delta.deleted = r.deleted;
        }
        pending.written += delta.written;
        pending.skipped += delta.skipped;
        pending.deleted += delta.deleted;
        pending.reread += delta.reread;
        pending.watermark = advanceCursor(pending.watermark, batch.maxCommit);
        const lagMs = batch.maxCommit ? Math.max(0, Date.now() - Date.parse(batch.maxCommit)) : null;
        if (lagMs !== null) pending.lagMs = lagMs;
        dirty = true;
        observe({ ...delta, lagMs });
      };

      /**
       * Signals progress to the workflow: a connection change at once; counts and the watermark
       * when the last report is at least `progressEvery` old; everything left when `final`.
       */
      const report = async (final: boolean) => {
        const now = Date.now();
        // At the end, say `disconnected` unless the workflow already heard it from this attempt.
        const connectionChanged = final ? told !== false : pending.connected !== (told ?? false);
        if (!connectionChanged && (!dirty || (!final && now - lastProgress < progressEvery))) return;
        const sent = { ...pending };
        pending.written = pending.skipped = pending.deleted = pending.reread = 0;
        dirty = false;
        lastProgress = now;
        told = sent.connected;
        await deps.notify.realtimeProgress(workflowId, sent).catch((error: unknown) => {
          log.warn({ err: String(error) }, 'could not report progress to the workflow');
        });
      };

      const started = Date.now();
      let cancelled = false;
      /** Why the workflow no longer wants this feed (its feedControl sink): stop cleanly. */
      let released: string | null = null;
      const feedRef = { namespace: activityInfo().namespace, workflowId, generation: input.generation };
      const unlisten = deps.feedControl.listen(feedRef, (reason) => {
        released ??= reason;
        nudge();
      });
      ctx.cancelled.catch(() => {
        cancelled = true;
        nudge();
      });
      const onShutdown = () => {
        failure ??= 'the worker is shutting down; another attempt will resume the feed';
        nudge();
      };
      if (deps.shutdown?.aborted) onShutdown();
      deps.shutdown?.addEventListener('abort', onShutdown);
      try {
        while (!cancelled && released === null && failure === null) {
          if (!live && Date.now() - started > SUBSCRIBE_TIMEOUT_MS) {
            failure = `Realtime subscription to ${table} was not live within ${SUBSCRIBE_TIMEOUT_MS / 1000} s`;
            break;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, queue.length > 0 ? FLUSH_INTERVAL_MS : 1000);
          });
          await flush();
          heartbeat({ watermark: pending.watermark });
          await report(false);
        }
        await flush();
      } catch (error) {
        throw asActivityFailure(error);
      } finally {
        unlisten();
        deps.shutdown?.removeEventListener('abort', onShutdown);
        await subscription.close();
        pending.connected = false;
        observe({});
        await report(true);
      }
      if (cancelled) throw new CancelledFailure('realtime feed stopped');
      if (released !== null) {
        log.info({ reason: released }, 'realtime feed stopped: the workflow no longer wants it');
        return;
      }
      if (deps.shutdown?.aborted) log.info('realtime feed handed over: the worker is shutting down');
      else log.warn({ reason: failure }, 'realtime subscription lost; Temporal will retry');
      throw ApplicationFailure.retryable(failure ?? 'realtime feed ended', 'RealtimeLost');
    },
  };
}
