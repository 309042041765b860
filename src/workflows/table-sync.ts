/**
 * `tableSync`: one long-running workflow per table. On a timer it runs a reconciliation pass and
 * then deletion replay; a realtime activity runs alongside and reports progress by signal.
 * Checkpoints (cursors, counts) live in workflow state and are carried over continue-as-new.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxySinks,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.js';
import type { ReconcileChunkResult, TableRefInput } from '../activities/types.js';
import {
  advanceCursor,
  applyRealtimeProgress,
  buildStatus,
  feedIsLive,
  initialState,
  nextWaitMs,
  planInitialCopy,
  reconcileFrom,
  recordPass,
  searchAttributeState,
  shouldContinueAsNew,
  tableName,
} from './decisions.js';
import {
  backfillUpdate,
  configureUpdate,
  pauseUpdate,
  realtimeProgressSignal,
  realtimeSubscribedSignal,
  reconcileNowUpdate,
  resumeUpdate,
  statusQuery,
  stopUpdate,
  type FeedControlSinks,
} from './messages.js';
import type {
  KeyValues,
  PassSummary,
  ReconcileResult,
  SyncState,
  TableStatus,
  TableSyncInput,
  VersionCursor,
} from './types.js';

/** An activity chunk returns after about this long so progress is checkpointed in state. */
const CHUNK_MS = 20_000;

const setup = proxyActivities<SyncActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3, initialInterval: '1s', maximumInterval: '10s' },
});
const passes = proxyActivities<SyncActivities>({
  startToCloseTimeout: '10 minutes',
  // A worker that dies mid-pass is noticed within this; pages heartbeat as they are written.
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '30s' },
});
const feed = proxyActivities<SyncActivities>({
  startToCloseTimeout: '24 hours',
  // Liveness only: a dead worker's feed is retried elsewhere within a minute (reconciliation keeps
  // running meanwhile). Heartbeats stay rare (the SDK sends one every 48 s, 80% of this): stopping
  // goes through the feedControl sink at once, and through cancellation, which a feed learns of from
  // a heartbeat response, only as the fallback (see stopFeed).
  heartbeatTimeout: '1 minute',
  // Unlimited retries with backoff: a dropped socket is retried until the feed is cancelled.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  // Wait for the activity to acknowledge cancellation: two subscriptions never overlap for long.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
/** Tells the worker process this workflow runs in to stop a feed now (no history event, no action). */
const { feedControl } = proxySinks<FeedControlSinks>();

export interface TableSyncResult {
  status: TableStatus;
  /** The checkpoint, for a reconcile-only run to hand to the next one. */
  state: SyncState;
}

function errorMessage(error: unknown): string {
  let e = error as { message?: string; cause?: unknown } | undefined;
  // Activity failures wrap the real message in `cause`.
  while (e?.cause && (e.cause as { message?: string }).message) e = e.cause;
  return e?.message ?? String(error);
}

export async function tableSync(input: TableSyncInput): Promise<TableSyncResult> {
  // The table's settings can change while it runs (the `configure` update, sent by `npm run sync`).
  let spec = input.table;
  let settings = input.settings;
  const name = tableName(spec);
  const ref = (): TableRefInput => ({
    schema: spec.schema,
    table: spec.table,
    primaryKeys: spec.primaryKeys,
  });
  const realtimeEnabled = () => settings.realtime && spec.realtime && settings.loop;
  let state: SyncState = { ...(input.state ?? initialState(settings, Date.now())) };
  state.runs += 1;
  // A new run (continue-as-new or a fresh start) learns the live connection state anew.
  state.realtime = { ...state.realtime, connected: false };

  let stopping = false;
  let passRunning = false;
  let catchUpRequested = false;
  let ticketsIssued = 0;
  let ticketsDone = 0;
  const manualOptions: Array<{ since?: string; full?: boolean }> = [];
  let lastManualResult: ReconcileResult = { table: name, ok: false, pass: null, error: 'no pass yet' };
  let feedScope: CancellationScope | undefined;
  let feedRunning: Promise<void> | undefined;
  let feedRetryAt = 0;
  let feedCount = 0;
  let feedGeneration: string | null = null;
  let passesThisRun = 0;
  let shownState = '';

  const status = (): TableStatus => buildStatus(spec, settings, state, stopping, Date.now());
  const publishState = () => {
    if (!settings.searchAttributes) return;
    const now = searchAttributeState(state, stopping);
    if (now === shownState) return;
    shownState = now;
    upsertSearchAttributes({ SyncTable: [name], SyncState: [now] });
  };
  const fail = (where: 'prepare' | 'reconcile' | 'deletions' | 'realtime', error: unknown) => {
    const message = errorMessage(error);
    state.lastError = { at: Date.now(), where, message };
    log.warn(`${name}: ${where} failed: ${message}`);
  };

  setHandler(statusQuery, status);
  setHandler(pauseUpdate, async (reason?: string) => {
    state.paused = true;
    log.info(`${name}: paused${reason ? ` (${reason})` : ''}`);
    await condition(() => !passRunning && feedRunning === undefined);
    publishState();
    return status();
  });
  setHandler(resumeUpdate, () => {
    state.paused = false;
    publishState();
    return status();
  });
  setHandler(stopUpdate, async () => {
    stopping = true;
    await condition(() => !passRunning && feedRunning === undefined);
    return status();
  });
  setHandler(
    reconcileNowUpdate,
    async (options?: { since?: string; full?: boolean }) => {
      const ticket = ++ticketsIssued;
      manualOptions.push(options ?? {});
      await condition(() => ticketsDone >= ticket || stopping);
      return ticketsDone >= ticket
        ? lastManualResult
        : { table: name, ok: false, pass: null, error: 'the workflow is stopping' };
    },
    {
      validator: (options?: { since?: string; full?: boolean }) => {
        if (options?.since !== undefined && Number.isNaN(Date.parse(options.since))) {
          throw new Error(
            `since must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z (got "${options.since}")`,
          );
        }
      },
    },
  );
  setHandler(
    configureUpdate,
    async (next: Omit<TableSyncInput, 'state'>) => {
      const keysChanged =
        next.table.primaryKeys.join() !== spec.primaryKeys.join() ||
        next.table.incrementalFields.join() !== spec.incrementalFields.join();
      const feedWas = realtimeEnabled();
      spec = next.table;
      settings = next.settings;
      if (keysChanged) {
        // Different key or version columns: check the table again and restart the feed with them.
        state = { ...state, prepared: false };
        await stopFeed();
      } else if (feedWas && !realtimeEnabled()) {
        await stopFeed();
      }
      return status();
    },
    {
      validator: (next: Omit<TableSyncInput, 'state'>) => {
        if (next.table.schema !== spec.schema || next.table.table !== spec.table) {
          throw new Error(`this workflow syncs ${name}, not ${tableName(next.table)}`);
        }
      },
    },
  );
  setHandler(backfillUpdate, async () => {
    // A full re-copy: the first copy again, from the start of the key order, with a fresh count.
    // It starts between chunks, so no chunk of a pass in flight lands in the new copy's progress.
    await condition(() => !passRunning);
    state = {
      ...state,
      prepared: false,
      initialCopy: { ...planInitialCopy({ initialBackfillMs: null }, Date.now()) },
    };
    catchUpRequested = true;
    return status();
  });
  setHandler(realtimeProgressSignal, (progress) => {
    if (typeof progress !== 'object' || progress === null) return;
    state = applyRealtimeProgress(state, progress, Date.now());
  });
  setHandler(realtimeSubscribedSignal, () => {
    // Realtime does not replay what happened while it was not subscribed: catch up now.
    catchUpRequested = true;
    if (state.lastError?.where === 'realtime') state.lastError = null;
    state.realtime = { ...state.realtime, connected: true, subscriptions: state.realtime.subscriptions + 1 };
  });

  const startFeed = () => {
    if (
      !realtimeEnabled() ||
      feedRunning ||
      state.paused ||
      stopping ||
      !state.prepared ||
      Date.now() < feedRetryAt
    )
      return;
    const scope = new CancellationScope();
    feedScope = scope;
    feedCount += 1;
    const generation = `${workflowInfo().runId}/${feedCount}`;
    feedGeneration = generation;
    feedRunning = scope
      .run(() =>
        feed.streamRealtimeChanges({
          table: ref(),
          versionColumn: state.versionColumn,
          generation,
          ...(settings.realtimeProgressMs !== undefined
            ? { progressIntervalMs: settings.realtimeProgressMs }
            : {}),
        }),
      )
      .catch((error: unknown) => {
        if (isCancellation(error)) return;
        fail('realtime', error);
        feedRetryAt = Date.now() + 60_000;
      })
      .finally(() => {
        feedRunning = undefined;
        feedScope = undefined;
        state.realtime = { ...state.realtime, connected: false };
      });
  };
  /**
   * Every path that ends a feed comes here: pause, stop, realtime turned off, new key columns, and
   * continue-as-new (which awaits this first, so two runs' feeds never overlap).
   *
   * 1. The feedControl sink: the worker process running this workflow task stops a feed of this
   *    generation at once if it runs there (flush, then return), or remembers the release in case
   *    that attempt is still starting. Not recorded in history, not a Temporal call, not billed;
   *    not called during replay (a replayed decision was delivered when it was first made).
   * 2. Cancellation of the feed's scope: the fallback for a feed in another worker process, which
   *    learns of it from its next heartbeat response (within ~48 s). WAIT_CANCELLATION_COMPLETED
   *    makes this wait for the feed to end either way.
   *
   * A feed never outlives what wants it: one from an older run was released and awaited here
   * before continue-as-new; a stale attempt of a feed (its heartbeats timed out, Temporal retried
   * it) is cancelled by the server's answer to its next heartbeat, and in this worker process also
   * stopped at once when a newer attempt or generation of the same workflow's feed starts
   * (FeedControlRegistry.listen); a feed whose workflow ended without this (terminated) gets
   * "not found" on its next heartbeat.
   */
  const stopFeed = async () => {
    if (!feedRunning) return;
    if (feedGeneration !== null) feedControl.release(feedGeneration);
    feedGeneration = null;
    feedScope?.cancel();
    await feedRunning;
  };

  const prepare = async (): Promise<boolean> => {
    try {
      const prepared = await setup.prepareTable({ table: ref(), incrementalFields: spec.incrementalFields });
      state.versionColumn = prepared.versionColumn;
      state.prepared = true;
      if (state.initialCopy.total === null)
        state.initialCopy = { ...state.initialCopy, total: prepared.sourceRows };
      if (state.initialCopy.mode === 'full' && state.initialCopy.from === null) {
        // After a whole-table copy, reconciliation resumes from the newest version that existed
        // when the copy began: everything changed during the copy is read again.
        state.initialCopy = { ...state.initialCopy, from: prepared.maxVersion };
      }
      state.lastError = state.lastError?.where === 'prepare' ? null : state.lastError;
      return true;
    } catch (error) {
      fail('prepare', error);
      state.consecutiveFailures += 1;
      return false;
    }
  };

  /** The first copy, chunk by chunk; returns false if interrupted (pause/stop) or failed. */
  const initialCopy = async (pass: PassSummary): Promise<boolean> => {
    const copy = () => state.initialCopy;
    if (copy().startedAt === null) state.initialCopy = { ...copy(), startedAt: Date.now() };
    while (!copy().done) {
      if (stopping || state.paused) return false;
      const byKey = copy().mode === 'full' || state.versionColumn === null;
      const chunk = await passes.reconcileChunk({
        table: ref(),
        versionColumn: state.versionColumn,
        mode: byKey ? 'by-key' : 'by-version',
        afterKey: copy().keyCursor,
        afterVersion: copy().versionCursor,
        from: byKey ? null : copy().from,
        batchSize: settings.batchSize,
        maxDurationMs: CHUNK_MS,
      });
      pass.rowsRead += chunk.rowsRead;
      pass.written += chunk.written;
      pass.skipped += chunk.skipped;
      state.initialCopy = {
        ...copy(),
        keyCursor: chunk.afterKey,
        versionCursor: chunk.afterVersion,
        rowsCopied: copy().rowsCopied + chunk.rowsRead,
        done: chunk.done,
        finishedAt: chunk.done ? Date.now() : null,
      };
      if (copy().mode === 'window') state.reconcileCursor = chunk.maxVersion ?? state.reconcileCursor;
    }
    if (copy().mode === 'full') state.reconcileCursor = copy().from ?? state.reconcileCursor;
    log.info(`${name}: initial copy done, ${copy().rowsCopied} rows`);
    return true;
  };

  const reconcile = async (
    pass: PassSummary,
    options: { since?: string; full?: boolean },
  ): Promise<string | null> => {
    const byKey = options.full === true || state.versionColumn === null;
    const from = options.since ?? reconcileFrom(state.reconcileCursor, settings.lookbackMs);
    let afterKey: KeyValues | null = null;
    let afterVersion: VersionCursor | null = null;
    let maxVersion: string | null = null;
    for (;;) {
      const chunk: ReconcileChunkResult = await passes.reconcileChunk({
        table: ref(),
        versionColumn: state.versionColumn,
        mode: byKey ? 'by-key' : 'by-version',
        afterKey,
        afterVersion,
        from,
        batchSize: settings.batchSize,
        maxDurationMs: CHUNK_MS,
      });
      pass.rowsRead += chunk.rowsRead;
      pass.written += chunk.written;
      pass.skipped += chunk.skipped;
      afterKey = chunk.afterKey;
      afterVersion = chunk.afterVersion;
      maxVersion = advanceCursor(maxVersion, chunk.maxVersion);
      if (chunk.done || stopping) return maxVersion;
    }
  };

  const replayDeletions = async (pass: PassSummary) => {
    for (;;) {
      const result = await passes.replayDeletions({
        table: ref(),
        versionColumn: state.versionColumn,
        batchSize: settings.batchSize,
        maxDurationMs: CHUNK_MS,
      });
      pass.deletesReplayed += result.replayed;
      pass.deleted += result.deleted;
      state.ledgerPosition = Math.max(state.ledgerPosition, result.lastId);
      if (result.done || stopping) return;
    }
  };

  const runPass = async (
    kind: PassSummary['kind'],
    options: { since?: string; full?: boolean },
  ): Promise<PassSummary> => {
    passRunning = true;
    const pass: PassSummary = {
      kind,
      startedAt: Date.now(),
      finishedAt: 0,
      rowsRead: 0,
      written: 0,
      skipped: 0,
      deletesReplayed: 0,
      deleted: 0,
      ok: true,
    };
    let maxVersion: string | null = null;
    let where: 'reconcile' | 'deletions' = 'reconcile';
    try {
      if (!state.initialCopy.done) {
        const finished = await initialCopy(pass);
        if (!finished) {
          pass.finishedAt = Date.now();
          return pass;
        }
      } else if (spec.reconcile || kind !== 'reconcile') {
        maxVersion = await reconcile(pass, options);
      }
      where = 'deletions';
      await replayDeletions(pass);
    } catch (error) {
      pass.ok = false;
      pass.error = errorMessage(error);
      fail(where, error);
    } finally {
      passRunning = false;
    }
    pass.finishedAt = Date.now();
    state = recordPass(state, pass, maxVersion);
    if (
      pass.ok &&
      state.lastError &&
      (state.lastError.where === 'reconcile' || state.lastError.where === 'deletions')
    ) {
      state.lastError = null;
    }
    passesThisRun += 1;
    return pass;
  };

  /** How long after the last pass the next one is due: longer while the realtime feed is live. */
  const waitAfterPass = () =>
    nextWaitMs(
      settings,
      state.consecutiveFailures,
      feedIsLive({ realtimeEnabled: realtimeEnabled(), feedRunning: feedRunning !== undefined, state }),
    );

  // ---- main loop ----
  publishState();
  // null: a pass is due now. A new run of a table already copied waits a full interval first.
  let lastPassAt: number | null = input.state && state.initialCopy.done ? Date.now() : null;
  while (!stopping) {
    if (!state.prepared) {
      if (!(await prepare())) {
        publishState();
        if (!settings.loop) break;
        await condition(() => stopping, nextWaitMs(settings, state.consecutiveFailures));
        continue;
      }
      state.consecutiveFailures = 0;
    }
    if (state.paused && ticketsIssued === ticketsDone) {
      await stopFeed();
      publishState();
      await condition(() => !state.paused || stopping || ticketsIssued > ticketsDone);
      continue;
    }
    startFeed();
    publishState();
    const wait = waitAfterPass();
    const nextPassAt = lastPassAt === null ? Date.now() : lastPassAt + wait;
    const waitMs = nextPassAt - Date.now();
    if (waitMs > 0) {
      // Also wakes when the wait itself changes (the feed connected or was lost, new settings):
      // the loop then decides it again from the last pass.
      await condition(
        () =>
          stopping ||
          state.paused ||
          catchUpRequested ||
          ticketsIssued > ticketsDone ||
          waitAfterPass() !== wait,
        waitMs,
      );
      if (stopping) break;
      if (Date.now() < nextPassAt && !catchUpRequested && ticketsIssued === ticketsDone) continue;
    }
    // A backfill (or new key columns) asks for the table to be checked and counted again first.
    if (!state.prepared) continue;
    const manual = ticketsIssued > ticketsDone;
    const options = manual ? (manualOptions.shift() ?? {}) : {};
    const kind: PassSummary['kind'] = !state.initialCopy.done
      ? 'initial-copy'
      : manual
        ? 'manual'
        : catchUpRequested
          ? 'catch-up'
          : 'reconcile';
    catchUpRequested = false;
    const pass = await runPass(kind, options);
    if (manual) {
      ticketsDone += 1;
      lastManualResult = { table: name, ok: pass.ok, pass, error: pass.error };
    }
    lastPassAt = Date.now();
    publishState();
    if (!settings.loop && (state.initialCopy.done || !pass.ok)) break;
    if (
      shouldContinueAsNew({
        continueAsNewSuggested: workflowInfo().continueAsNewSuggested,
        passesThisRun,
        maxPassesPerRun: settings.maxPassesPerRun,
        historyLength: workflowInfo().historyLength,
      })
    ) {
      await stopFeed();
      await condition(allHandlersFinished);
      log.info(`${name}: continuing as new after ${passesThisRun} passes`);
      return continueAsNew<typeof tableSync>({ table: spec, settings, state });
    }
  }
  await stopFeed();
  publishState();
  await condition(allHandlersFinished);
  return { status: status(), state };
}
