/**
 * The table workflow's decisions as pure functions: where the next pass starts, how the checkpoint
 * advances, when to back off, when to continue-as-new (what it shows: table-status.ts). Tested without a server.
 */
import type { PrepareTableResult } from '../contracts/activities.js';
import type { TableConfig } from '../contracts/config.js';
import type {
  Counters,
  InitialCopyState,
  PassSummary,
  RealtimeProgress,
  SyncSettings,
  SyncState,
} from '../contracts/table-sync.js';
import { NEEDS_A_PERSON } from '../core/errors.js';
import { advanceCursor, reconcileFrom } from '../core/versions.js';

export const MAX_BACKOFF_MS = 5 * 60_000;

export function emptyCounters(): Counters {
  return {
    reconcileWritten: 0,
    reconcileSkipped: 0,
    realtimeWritten: 0,
    realtimeSkipped: 0,
    realtimeDeleted: 0,
    realtimeReread: 0,
    ledgerDeleted: 0,
    ledgerReplayed: 0,
  };
}

/** The first copy: the whole table, unless SYNC_INITIAL_BACKFILL_MS limits it to a window. */
export function planInitialCopy(
  settings: Pick<SyncSettings, 'initialBackfillMs'>,
  nowMs: number,
): InitialCopyState {
  const window = settings.initialBackfillMs !== null && settings.initialBackfillMs > 0;
  return {
    done: false,
    mode: window ? 'window' : 'full',
    from: window ? new Date(nowMs - settings.initialBackfillMs!).toISOString() : null,
    keyCursor: null,
    versionCursor: null,
    rowsCopied: 0,
    total: null,
    startedAt: null,
    finishedAt: null,
  };
}

export function initialState(settings: SyncSettings, nowMs: number): SyncState {
  return {
    versionColumn: null,
    prepared: false,
    initialCopy: planInitialCopy(settings, nowMs),
    reconcileCursor: null,
    ledgerPosition: 0,
    realtime: { connected: false, watermark: null, lastLagMs: null, subscriptions: 0, lastProgressAt: null },
    paused: false,
    counters: emptyCounters(),
    lastPass: null,
    lastSuccessAt: null,
    lastError: null,
    consecutiveFailures: 0,
    passes: 0,
    runs: 0,
  };
}

/**
 * Whether the table has a realtime feed: on for it and for the worker, and the workflow keeps
 * running (a one-pass run, `loop` off, never starts one).
 */
export function realtimeEnabled(
  table: Pick<TableConfig, 'realtime'>,
  settings: Pick<SyncSettings, 'realtime' | 'loop'>,
): boolean {
  return settings.realtime && table.realtime && settings.loop;
}

/**
 * Whether the realtime feed is live: enabled for the table, running, connected by its last report,
 * and not failed since. Reconciliation is then the safety net and runs at the live interval.
 */
export function feedIsLive(input: {
  realtimeEnabled: boolean;
  feedRunning: boolean;
  state: Pick<SyncState, 'realtime' | 'lastError'>;
}): boolean {
  return (
    input.realtimeEnabled &&
    input.feedRunning &&
    input.state.realtime.connected &&
    input.state.lastError?.where !== 'realtime'
  );
}

/**
 * The time between timer-driven passes: the interval, or with a live realtime feed the live interval
 * when it is longer (0, absent or at most the interval: the interval).
 */
export function passIntervalMs(
  settings: Pick<SyncSettings, 'intervalMs' | 'liveIntervalMs'>,
  live: boolean,
): number {
  return live ? Math.max(settings.intervalMs, settings.liveIntervalMs ?? 0) : settings.intervalMs;
}

/**
 * Whether the table waits for a person: it could not be prepared for a reason retrying cannot fix
 * (schema drift, a wrong key in the tables file, a missing migration, a refused key).
 */
export function isBlocked(state: Pick<SyncState, 'prepared' | 'lastError'>): boolean {
  return !state.prepared && state.lastError !== null && NEEDS_A_PERSON.includes(state.lastError.kind ?? '');
}

/**
 * Where a feed that takes over from a dead worker checks the source from: before the newest change
 * the dead feed reported (its report may be up to one progress interval old, plus a margin), so
 * nothing it may not have applied is left to the catch-up pass. Null when it reported none.
 */
/** The feed's progress interval by default (PROGRESS_INTERVAL_MS in src/activities/realtime.ts). */
const DEFAULT_PROGRESS_MS = 60_000;

export function takeoverHealFrom(
  state: Pick<SyncState, 'realtime'>,
  settings: Pick<SyncSettings, 'realtimeProgressMs'>,
): string | null {
  const watermark = state.realtime.watermark;
  if (watermark === null) return null;
  return reconcileFrom(watermark, (settings.realtimeProgressMs ?? DEFAULT_PROGRESS_MS) + 5_000);
}

/**
 * How long a table that could not be prepared waits before it tries again: a blocked one (see
 * isBlocked) the interval, so a fix takes effect within it; otherwise the backoff.
 */
export function prepareRetryMs(
  settings: Pick<SyncSettings, 'intervalMs' | 'liveIntervalMs'>,
  state: Pick<SyncState, 'prepared' | 'lastError' | 'consecutiveFailures'>,
): number {
  return isBlocked(state) ? settings.intervalMs : nextWaitMs(settings, state.consecutiveFailures);
}

/**
 * How long to wait after a pass before the next one: the pass interval (longer while the feed is
 * live); after failures, the base interval doubled per consecutive failure (capped), live or not.
 */
export function nextWaitMs(
  settings: Pick<SyncSettings, 'intervalMs' | 'liveIntervalMs'>,
  consecutiveFailures: number,
  live = false,
): number {
  if (consecutiveFailures <= 0) return passIntervalMs(settings, live);
  const backoff = Math.min(MAX_BACKOFF_MS, settings.intervalMs * 2 ** Math.min(consecutiveFailures - 1, 16));
  return Math.max(settings.intervalMs, backoff);
}

export function shouldContinueAsNew(input: {
  continueAsNewSuggested: boolean;
  passesThisRun: number;
  maxPassesPerRun: number;
  historyLength: number;
}): boolean {
  return (
    input.continueAsNewSuggested ||
    input.passesThisRun >= input.maxPassesPerRun ||
    // A safety net well under the 51,200-event limit, for servers that never suggest.
    input.historyLength >= 20_000
  );
}

/** Folds a realtime progress report into the state. The watermark never moves backwards. */
export function applyRealtimeProgress(
  state: SyncState,
  progress: RealtimeProgress,
  nowMs: number,
): SyncState {
  const counters = { ...state.counters };
  counters.realtimeWritten += progress.written;
  counters.realtimeSkipped += progress.skipped;
  counters.realtimeDeleted += progress.deleted;
  counters.realtimeReread += progress.reread;
  if (progress.healed) counters.realtimeHealed = (counters.realtimeHealed ?? 0) + progress.healed;
  // A disconnect held while its worker stopped (temporal/held-signals.ts) can come after another
  // worker's feed subscribed: its counts and watermark count, but the table stays connected.
  const stale =
    !progress.connected &&
    progress.worker !== undefined &&
    !!state.realtime.worker &&
    progress.worker !== state.realtime.worker;
  const connected = stale ? state.realtime.connected : progress.connected;
  return {
    ...state,
    counters,
    realtime: {
      ...state.realtime,
      connected,
      lostReason: connected ? null : (progress.lostReason ?? state.realtime.lostReason ?? null),
      watermark: advanceCursor(state.realtime.watermark, progress.watermark),
      lastLagMs: progress.lagMs ?? state.realtime.lastLagMs,
      lastProgressAt: nowMs,
    },
  };
}

/**
 * Records what preparing the table found: its version column, the source's row count or estimate
 * (the first copy's total) and, before a whole-table copy, where reconciliation resumes after it: the newest
 * version that existed when the copy began, so everything changed during the copy is read again.
 */
export function recordPrepared(state: SyncState, prepared: PrepareTableResult): SyncState {
  const copy = state.initialCopy;
  return {
    ...state,
    versionColumn: prepared.versionColumn,
    prepared: true,
    initialCopy: {
      ...copy,
      total: copy.total ?? prepared.sourceRows,
      ...(copy.total === null && prepared.sourceRowsExact === false ? { totalExact: false } : {}),
      from: copy.mode === 'full' && copy.from === null ? prepared.maxVersion : copy.from,
    },
    // The table checked out: a failure to prepare, or a schema error it ran into, is over.
    lastError:
      state.lastError?.where === 'prepare' || state.lastError?.kind === 'schema' ? null : state.lastError,
    consecutiveFailures: 0,
    schemaDrift: prepared.drift ?? [],
  };
}

/** The feed subscribed (Realtime does not replay what it missed: the caller asks for a catch-up). */
export function recordSubscribed(state: SyncState, worker?: string): SyncState {
  return {
    ...state,
    lastError: state.lastError?.where === 'realtime' ? null : state.lastError,
    realtime: {
      ...state.realtime,
      connected: true,
      lostReason: null,
      subscriptions: state.realtime.subscriptions + 1,
      ...(worker ? { worker } : {}),
    },
  };
}

/** The worker running the feed is gone: the table is not connected until a new feed subscribes. */
export function recordFeedWorkerLost(state: SyncState): SyncState {
  const realtime = { ...state.realtime, connected: false, worker: null, lostReason: 'its worker stopped' };
  return { ...state, realtime };
}

/** New key or version columns: the table is checked again and its feed restarted with them. */
export function keyColumnsChanged(current: TableConfig, next: TableConfig): boolean {
  return (
    current.primaryKeys.join() !== next.primaryKeys.join() ||
    current.incrementalFields.join() !== next.incrementalFields.join()
  );
}

/** Records a finished pass: counters, the checkpoint, and the failure streak. */
export function recordPass(state: SyncState, pass: PassSummary, maxVersionSeen: string | null): SyncState {
  const counters = { ...state.counters };
  counters.reconcileWritten += pass.written;
  counters.reconcileSkipped += pass.skipped;
  counters.ledgerReplayed += pass.deletesReplayed;
  counters.ledgerDeleted += pass.deleted;
  return {
    ...state,
    counters,
    passes: state.passes + 1,
    lastPass: pass,
    reconcileCursor: advanceCursor(state.reconcileCursor, maxVersionSeen),
    lastSuccessAt: pass.ok ? pass.startedAt : state.lastSuccessAt,
    consecutiveFailures: pass.ok ? 0 : state.consecutiveFailures + 1,
  };
}
