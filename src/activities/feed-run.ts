/**
 * One attempt of a table's realtime feed (the `streamRealtimeChanges` activity, realtime.ts): it
 * subscribes to the source table's `postgres_changes`, applies what arrives to the target in
 * micro-batches (realtime-batch.ts), heals what Realtime did not deliver (realtime-gaps.ts) and
 * moves the table's sequences beside that loop, cleans up after a TRUNCATE of the source (found in
 * the ledger by the gap check), heartbeats, and reports progress to the workflow (realtime-progress.ts).
 *
 * Supabase Realtime is at-most-once: every (re)subscribe is reported so the workflow runs a
 * catch-up reconciliation at once; a truncated or errored payload is re-read from the source by
 * key; a lost subscription fails the attempt and Temporal retries it with backoff.
 *
 * It stops when its workflow releases or cancels it, or when the worker shuts down
 * (docs/architecture.md, "How a feed stops"); each way, what arrived is applied first.
 */
import { activityInfo, CancelledFailure, Context, heartbeat } from '@temporalio/activity';
import type { RealtimeFeedInput } from '../contracts/activities.js';
import type { Logger } from '../contracts/logger.js';
import type { ChangeEvent, SubscriptionStatus } from '../contracts/ports.js';
import { BackgroundTask } from '../core/background-task.js';
import { errorMessage } from '../core/errors.js';
import type { ActivityDeps } from './deps.js';
import { asActivityFailure, feedEnded } from './errors.js';
import { coalesce } from './realtime-batch.js';
import { GapHealer } from './realtime-gaps.js';
import type { PositionWatch } from './realtime-positions.js';
import type { FeedProgress } from './realtime-progress.js';
import type { VersionReads } from './realtime-versions.js';
import { explainSchemaError } from './schema-check.js';
import { withRetries } from './retries.js';
import { advanceTableSequences } from './sequences.js';
import { removeRowsGoneFromSource } from './truncate.js';
import { writeRows } from './writes.js';
import { tableName } from '../core/names.js';

/** Changes are applied at most this long after they arrive (or sooner when a batch fills). */
const FLUSH_INTERVAL_MS = 20;
const MAX_BATCH = 500;
/** After writes, the table's sequences are moved forward on the target at most this often. */
const SEQUENCES_EVERY_MS = 5000;
/** The subscription must be live (`system` ok) within this time, or the attempt fails. */
const SUBSCRIBE_TIMEOUT_MS = 20_000;

/** What the worker's feeds share: one look at the source's positions and versions for all of them. */
export interface SharedReads {
  positions: PositionWatch;
  versions: VersionReads;
}

/** The columns a complete change carries, those Realtime may render otherwise, and the published name. */
export interface FeedShape {
  columns: Set<string>;
  unscaled: Set<string>;
  entities: string[] | undefined;
}

export class FeedRun {
  private queue: ChangeEvent[] = [];
  private live = false;
  /** Why the attempt must end with a failure (subscription lost, shutdown, not live in time). */
  private failure: string | null = null;
  private cancelled = false;
  /** Why the workflow no longer wants this feed (its feedControl sink): stop cleanly. */
  private released: string | null = null;
  private wake: (() => void) | null = null;
  private readonly gaps: GapHealer;
  /** The gap check runs beside the loop: what Realtime delivers meanwhile is applied at once. */
  private readonly checks = new BackgroundTask();
  /**
   * The rows the feed writes carry ids from the table's sequences: the target's follow within
   * seconds, not only at the next pass (a table without sequences is asked once).
   */
  private readonly sequenceMoves = new BackgroundTask();
  private readonly sequences = { due: false, at: 0, none: false };
  private readonly started = Date.now();
  private readonly table: string;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly shared: SharedReads,
    private readonly input: RealtimeFeedInput,
    private readonly workflowId: string,
    private readonly log: Logger,
    private readonly progress: FeedProgress,
    private readonly shape: FeedShape,
  ) {
    this.table = tableName(input.table);
    // What Realtime does not deliver (over a quota, before the feed flows) is found on the source.
    this.gaps = new GapHealer(
      { ...deps, versions: shared.versions },
      input.table,
      input.versionColumn,
      input.healFrom ?? null,
    );
  }

  /** Runs the attempt to its end: returns when released, throws when cancelled or lost. */
  async run(): Promise<void> {
    await this.gaps.changeLog.start().catch(async (e: unknown) => {
      throw asActivityFailure(await explainSchemaError(this.deps, this.input.table, e));
    });
    const unwatch = this.shared.positions.watch(this.input.table, this.input.versionColumn, (p) => {
      this.gaps.position(p);
      this.nudge();
    });
    const subscription = this.deps.source.subscribe(
      this.input.table,
      (event) => this.received(event),
      (status) => this.statusChanged(status),
      this.shape.entities,
    );
    const unlisten = this.listenForStop();
    try {
      await this.loop();
      await this.checks.settled();
      await this.flush();
      await this.sequenceMoves.settled();
    } catch (error) {
      throw asActivityFailure(await explainSchemaError(this.deps, this.input.table, error));
    } finally {
      await this.checks.settled();
      await this.sequenceMoves.settled();
      unwatch();
      unlisten();
      await subscription.close();
      const lostBecause = this.failure;
      this.progress.disconnected(
        lostBecause !== null && !this.deps.shutdown?.aborted ? lostBecause : undefined,
      );
      await this.progress.report(true);
    }
    this.end();
  }

  private nudge(): void {
    this.wake?.();
    this.wake = null;
  }

  private received(event: ChangeEvent): void {
    if (event.type === 'INSERT' && event.record && !event.errors) {
      for (const column of Object.keys(event.record)) this.shape.columns.add(column);
    }
    this.gaps.received(event);
    this.queue.push(event);
    // The first change of a batch starts a short coalescing window; a full batch goes at once.
    if (this.queue.length === 1) setTimeout(() => this.nudge(), FLUSH_INTERVAL_MS);
    else if (this.queue.length >= MAX_BATCH) this.nudge();
  }

  private statusChanged(status: SubscriptionStatus): void {
    if (status.kind === 'live') {
      this.live = true;
      this.gaps.becameLive();
      this.log.info('realtime subscription live; asking for a catch-up reconciliation');
      this.progress.live();
    } else {
      this.failure = status.reason;
    }
    this.nudge();
  }

  /** The three ways the attempt is told to stop; returns what unregisters them. */
  private listenForStop(): () => void {
    const feedRef = {
      namespace: activityInfo().namespace,
      workflowId: this.workflowId,
      generation: this.input.generation,
    };
    const unlisten = this.deps.feedControl.listen(feedRef, (reason) => {
      this.released ??= reason;
      this.nudge();
    });
    Context.current().cancelled.catch(() => {
      this.cancelled = true;
      this.nudge();
    });
    const onShutdown = () => {
      this.failure ??= 'the worker is shutting down; another attempt will resume the feed';
      this.nudge();
    };
    if (this.deps.shutdown?.aborted) onShutdown();
    this.deps.shutdown?.addEventListener('abort', onShutdown);
    return () => {
      unlisten();
      this.deps.shutdown?.removeEventListener('abort', onShutdown);
    };
  }

  private async loop(): Promise<void> {
    while (!this.cancelled && this.released === null && this.failure === null) {
      if (!this.live && Date.now() - this.started > SUBSCRIBE_TIMEOUT_MS) {
        this.failure = `Realtime subscription to ${this.table} was not live within ${SUBSCRIBE_TIMEOUT_MS / 1000} s`;
        break;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, this.queue.length > 0 ? FLUSH_INTERVAL_MS : 1000);
      });
      await this.flush();
      const truncatedAt = this.gaps.truncates.take();
      if (truncatedAt !== null) await this.cleanUpAfterTruncate(truncatedAt);
      if (this.gaps.hasPosition) this.checks.start(() => this.check());
      this.moveSequences();
      heartbeat({ watermark: this.progress.watermark });
      await this.progress.report(false);
    }
  }

  /** Applies what has arrived, deletes first: a value a deleted row held may be reused by a row of the batch. */
  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    const { table: ref, versionColumn } = this.input;
    const events = this.queue;
    this.queue = [];
    const { columns, unscaled } = this.shape;
    const known = columns.size > 0 ? columns : undefined;
    const batch = coalesce(ref, events, known, unscaled, this.gaps.truncates.rereadUntil);
    const delta = { written: 0, skipped: 0, deleted: 0, reread: 0 };
    if (batch.deletes.length > 0) {
      const r = await withRetries(this.log, 'applying deletes', () =>
        this.deps.target.applyDeletes(ref, versionColumn, batch.deletes),
      );
      delta.deleted = r.deleted;
    }
    if (batch.reread.length > 0) {
      const rows = await withRetries(this.log, 're-reading truncated rows', () =>
        this.deps.source.readRowsByKeys(ref, batch.reread),
      );
      batch.upserts.push(...rows);
      delta.reread = batch.reread.length;
    }
    if (batch.upserts.length > 0) {
      const r = await withRetries(this.log, 'applying upserts', () =>
        writeRows(this.deps, ref, versionColumn, batch.upserts),
      );
      delta.written = r.written;
      this.gaps.changeLog.applied(batch.upserts);
      if (r.written > 0) this.sequences.due = true;
      delta.skipped = r.skipped;
    }
    this.progress.applied(delta, batch.maxCommit);
    if (batch.maxCommit) this.gaps.observedLag(this.shared.positions.clock.since(batch.maxCommit));
  }

  /**
   * After a TRUNCATE of the source (truncate.ts), between batches: a batch read before the feed knew
   * of it has been written by now, so what it brought back is removed too.
   */
  private async cleanUpAfterTruncate(at: string): Promise<void> {
    const { table: ref, versionColumn } = this.input;
    const beat = () => heartbeat({ watermark: this.progress.watermark });
    const deleted = await withRetries(this.log, 'cleaning up after a TRUNCATE', () =>
      removeRowsGoneFromSource(this.deps, ref, versionColumn, at, null, beat),
    );
    this.progress.applied({ written: 0, skipped: 0, deleted, reread: 0 }, null);
    this.log.info({ at, deleted }, 'a TRUNCATE of the source: the rows it removed are gone from the target');
  }

  /** One comparison with the source; a failed one moves nothing on (the next covers the same gap). */
  private async check(): Promise<void> {
    const healed = await this.gaps.check().catch((error: unknown) => {
      this.log.warn({ err: errorMessage(error) }, 'checking what Realtime did not deliver failed');
      return null;
    });
    if (healed && healed.written > 0) this.sequences.due = true;
    if (healed && healed.missing > 0) {
      this.progress.applied({ ...healed, reread: 0, healed: healed.missing }, null);
      this.log.info(
        { missing: healed.missing, written: healed.written, deleted: healed.deleted },
        'changes Realtime did not deliver were read from the source and applied',
      );
    }
  }

  private moveSequences(): void {
    const s = this.sequences;
    if (!s.due || s.none || this.sequenceMoves.busy || Date.now() - s.at < SEQUENCES_EVERY_MS) return;
    s.due = false;
    s.at = Date.now();
    this.sequenceMoves.start(() =>
      advanceTableSequences(this.deps, { table: this.input.table }, 'debug').then(
        (r) => void (s.none = r.sequences === 0),
        (error: unknown) => this.log.warn({ err: errorMessage(error) }, 'moving sequences forward failed'),
      ),
    );
  }

  /** How the attempt ends once its loop stopped and all is closed. */
  private end(): void {
    if (this.cancelled) throw new CancelledFailure('realtime feed stopped');
    if (this.released !== null) {
      this.log.info({ reason: this.released }, 'realtime feed stopped: the workflow no longer wants it');
      return;
    }
    if (this.deps.shutdown?.aborted) this.log.info('realtime feed handed over: the worker is shutting down');
    else this.log.warn({ reason: this.failure }, 'realtime subscription lost; Temporal will retry');
    throw feedEnded(this.deps.shutdown?.aborted === true, this.failure);
  }
}
