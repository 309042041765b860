/**
 * The realtime feed: subscribes to the source table's `postgres_changes`, applies changes to the
 * target in micro-batches (realtime-batch.ts), heartbeats, and reports progress to the workflow
 * (realtime-progress.ts).
 *
 * Supabase Realtime is at-most-once: every (re)subscribe is reported so the workflow runs a
 * catch-up reconciliation at once; a truncated or errored payload is re-read from the source by
 * key; a lost subscription fails the activity and Temporal retries it with backoff.
 *
 * The feed stops when its workflow no longer wants it: released through `deps.feedControl`, or
 * cancelled (src/temporal/feed-control.ts says how each reaches it).
 */
import { activityInfo, ApplicationFailure, CancelledFailure, Context, heartbeat } from '@temporalio/activity';
import { rereadColumns, streamedColumns } from '../core/table-schema.js';
import type { ChangeEvent } from '../supabase/ports.js';
import type { ActivityDeps } from './deps.js';
import { asActivityFailure } from './errors.js';
import { coalesce } from './realtime-batch.js';
import { GapHealer } from './realtime-gaps.js';
import { PositionWatch } from './realtime-positions.js';
import { VersionReads } from './realtime-versions.js';
import { FeedProgress } from './realtime-progress.js';
import type { RealtimeFeedInput } from './types.js';
import { explainSchemaError } from './schema-check.js';
import { advanceTableSequences } from './sequences.js';
import { writeRows } from './writes.js';

/** Changes are applied at most this long after they arrive (or sooner when a batch fills). */
const FLUSH_INTERVAL_MS = 20;
const MAX_BATCH = 500;
/** After writes, the table's sequences are moved forward on the target at most this often. */
const SEQUENCES_EVERY_MS = 5000;
/** The subscription must be live (`system` ok) within this time, or the attempt fails. */
const SUBSCRIBE_TIMEOUT_MS = 20_000;
const APPLY_ATTEMPTS = 3;
/** Counts and the watermark go to the workflow at most this often; input `progressIntervalMs` overrides it. */
export const PROGRESS_INTERVAL_MS = 30_000;

export function createRealtimeActivities(deps: ActivityDeps) {
  // One look at the source per second for every feed of this worker (realtime-positions.ts).
  const positions = new PositionWatch(deps.source, deps.logger);
  // …and the keys and versions the feeds' checks then read, for all of them at once.
  const versions = new VersionReads(deps.source);
  return {
    async streamRealtimeChanges(input: RealtimeFeedInput): Promise<void> {
      const ref = input.table;
      const table = `${ref.schema}.${ref.table}`;
      const ctx = Context.current();
      const workflowId = activityInfo().workflowExecution?.workflowId;
      if (!workflowId)
        throw ApplicationFailure.nonRetryable('streamRealtimeChanges runs only inside a table workflow');
      const log = deps.logger.child({ table, attempt: activityInfo().attempt });
      const progress = new FeedProgress(
        deps.notify,
        workflowId,
        log,
        input.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
      );

      // The columns a complete change carries, and those whose values Realtime may render otherwise.
      const schema = await deps.source.readSchema(ref).catch(() => null);
      const known = schema?.exists ? schema : null;
      const columns = new Set<string>(known ? streamedColumns(known) : []);
      const unscaled = new Set<string>(known ? rereadColumns(known) : []);
      const entities = known && known.publishedAs.length > 0 ? known.publishedAs : undefined;
      let queue: ChangeEvent[] = [];
      let failure: string | null = null;
      let live = false;
      let wake: (() => void) | null = null;
      const nudge = () => {
        wake?.();
        wake = null;
      };
      // What Realtime does not deliver (over a quota, before the feed flows) is found on the source.
      const gaps = new GapHealer({ ...deps, versions }, ref, input.versionColumn, input.healFrom ?? null);
      const unwatch = positions.watch(ref, input.versionColumn, (p) => {
        gaps.position(p);
        nudge();
      });

      const subscription = deps.source.subscribe(
        ref,
        (event) => {
          if (event.type === 'INSERT' && event.record && !event.errors) {
            for (const column of Object.keys(event.record)) columns.add(column);
          }
          gaps.received(event);
          queue.push(event);
          // The first change of a batch starts a short coalescing window; a full batch goes at once.
          if (queue.length === 1) setTimeout(nudge, FLUSH_INTERVAL_MS);
          else if (queue.length >= MAX_BATCH) nudge();
        },
        (status) => {
          if (status.kind === 'live') {
            live = true;
            gaps.becameLive();
            log.info('realtime subscription live; asking for a catch-up reconciliation');
            progress.live();
          } else {
            failure = status.reason;
          }
          nudge();
        },
        entities,
      );

      const withRetries = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
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
        // Deletes first: a value a deleted row held may be reused by a row of the same batch.
        if (batch.deletes.length > 0) {
          const r = await withRetries('applying deletes', () =>
            deps.target.applyDeletes(ref, input.versionColumn, batch.deletes),
          );
          delta.deleted = r.deleted;
        }
        if (batch.reread.length > 0) {
          const rows = await withRetries('re-reading truncated rows', () =>
            deps.source.readRowsByKeys(ref, batch.reread),
          );
          batch.upserts.push(...rows);
          delta.reread = batch.reread.length;
        }
        if (batch.upserts.length > 0) {
          const r = await withRetries('applying upserts', () =>
            writeRows(deps, ref, input.versionColumn, batch.upserts),
          );
          delta.written = r.written;
          if (r.written > 0) sequences.due = true;
          delta.skipped = r.skipped;
        }
        progress.applied(delta, batch.maxCommit);
        if (batch.maxCommit) gaps.observedLag(Date.now() - Date.parse(batch.maxCommit));
      };

      /** One comparison with the source; a failed one moves nothing on (the next covers the same gap). */
      const check = async () => {
        const healed = await gaps.check().catch((error: unknown) => {
          log.warn({ err: (error as Error).message }, 'checking what Realtime did not deliver failed');
          return null;
        });
        if (healed && healed.written > 0) sequences.due = true;
        if (healed && healed.missing > 0) {
          progress.applied({ ...healed, reread: 0, healed: healed.missing }, null);
          log.info(
            { missing: healed.missing, written: healed.written, deleted: healed.deleted },
            'changes Realtime did not deliver were read from the source and applied',
          );
        }
      };
      let checking: Promise<void> | null = null;
      // The rows the feed writes carry ids from the table's sequences: the target's follow within
      // seconds, not only at the next pass (a table without sequences is asked once).
      const sequences = { due: false, at: 0, none: false, running: null as Promise<void> | null };
      const advanceSequences = () => {
        if (!sequences.due || sequences.none || sequences.running !== null) return;
        if (Date.now() - sequences.at < SEQUENCES_EVERY_MS) return;
        sequences.due = false;
        sequences.at = Date.now();
        sequences.running = advanceTableSequences(deps, { table: input.table }, 'debug')
          .then(
            (r) => void (sequences.none = r.sequences === 0),
            (error: unknown) =>
              log.warn({ err: (error as Error).message }, 'moving sequences forward failed'),
          )
          .finally(() => (sequences.running = null));
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
          // The check runs beside the loop, one at a time: what Realtime delivers meanwhile is
          // applied without waiting for it (both write through the version guard).
          if (gaps.hasPosition && checking === null) checking = check().finally(() => (checking = null));
          advanceSequences();
          heartbeat({ watermark: progress.watermark });
          await progress.report(false);
        }
        await checking;
        await flush();
        await sequences.running;
      } catch (error) {
        throw asActivityFailure(await explainSchemaError(deps, ref, error));
      } finally {
        await checking;
        await sequences.running;
        unwatch();
        unlisten();
        deps.shutdown?.removeEventListener('abort', onShutdown);
        await subscription.close();
        const lostBecause: string | null = failure;
        progress.disconnected(lostBecause !== null && !deps.shutdown?.aborted ? lostBecause : undefined);
        await progress.report(true);
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
