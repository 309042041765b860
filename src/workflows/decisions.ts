/**
 * The table workflow's decisions as pure functions: where the next pass starts, how the checkpoint
 * advances, when to back off, when to continue-as-new, what status to show. Tested without a server.
 */
import type {
  Counters,
  InitialCopyState,
  PassSummary,
  RealtimeProgress,
  SyncSettings,
  SyncState,
  SyncStateName,
  TableSpec,
  TableStatus,
} from './types.js';

export const MAX_BACKOFF_MS = 5 * 60_000;

export function tableName(spec: Pick<TableSpec, 'schema' | 'table'>): string {
  return `${spec.schema}.${spec.table}`;
}

export function workflowIdFor(spec: Pick<TableSpec, 'schema' | 'table'>): string {
  return `table-sync:${tableName(spec)}`;
}

export function reconcileWorkflowIdFor(spec: Pick<TableSpec, 'schema' | 'table'>): string {
  return `table-reconcile:${tableName(spec)}`;
}

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

/** A version with a date but no time zone: a `timestamp` (without time zone) or `date` column. */
function isZoneless(version: string): boolean {
  return /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(version);
}

/**
 * A timestamp version as milliseconds, or undefined for versions that are not timestamps. Zoneless
 * values are read as UTC, whatever the worker's time zone, so arithmetic on them stays exact.
 */
function versionMillis(version: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(version)) return undefined;
  const text = version.replace(' ', 'T');
  const ms = Date.parse(isZoneless(version) ? `${text.includes('T') ? text : `${text}T00:00:00`}Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Compares two versions as the database would (timestamps by instant, numbers numerically). */
export function compareVersions(a: string, b: string): number {
  const am = versionMillis(a);
  const bm = versionMillis(b);
  if (am !== undefined && bm !== undefined && am !== bm) return am - bm;
  if (am !== undefined && bm !== undefined) {
    // Same millisecond: compare the fractional digits beyond it as text (same format from one API).
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const an = Number(a);
  const bn = Number(b);
  if (!Number.isNaN(an) && !Number.isNaN(bn)) return an - bn;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The checkpoint never moves backwards. */
export function advanceCursor(current: string | null, seen: string | null): string | null {
  if (seen === null) return current;
  if (current === null) return seen;
  return compareVersions(seen, current) > 0 ? seen : current;
}

/**
 * Where an incremental pass starts reading: the checkpoint minus the lookback window, so rows
 * committed late (a long transaction that stamped its rows before the checkpoint) are read again.
 * Versions that are not timestamps have no lookback.
 */
export function reconcileFrom(cursor: string | null, lookbackMs: number): string | null {
  if (cursor === null) return null;
  const ms = versionMillis(cursor);
  if (ms === undefined) return cursor;
  const from = new Date(ms - lookbackMs).toISOString();
  // Keep a zoneless version zoneless: the database compares it as a local timestamp.
  return isZoneless(cursor) ? from.slice(0, -1) : from;
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
  return {
    ...state,
    counters,
    realtime: {
      ...state.realtime,
      connected: progress.connected,
      watermark: advanceCursor(state.realtime.watermark, progress.watermark),
      lastLagMs: progress.lagMs ?? state.realtime.lastLagMs,
      lastProgressAt: nowMs,
    },
  };
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

export function stateName(state: SyncState, stopping: boolean): SyncStateName {
  if (stopping) return 'stopped';
  if (state.paused) return 'paused';
  if (state.consecutiveFailures > 0 || (!state.prepared && state.lastError !== null)) return 'failing';
  if (!state.prepared) return 'starting';
  if (!state.initialCopy.done) return 'copying';
  return 'running';
}

/**
 * How stale the target may be, in seconds: with a live realtime feed, the commit-to-apply lag of
 * its last change; otherwise the time since the last successful pass started (everything committed
 * before that start — minus late commits the lookback catches — is on the target).
 */
export function lagSeconds(state: SyncState, realtimeEnabled: boolean, nowMs: number): number | null {
  if (realtimeEnabled && state.realtime.connected && state.lastSuccessAt !== null) {
    return (state.realtime.lastLagMs ?? 0) / 1000;
  }
  if (state.lastSuccessAt === null) return null;
  return Math.max(0, (nowMs - state.lastSuccessAt) / 1000);
}

export function buildStatus(
  spec: TableSpec,
  settings: SyncSettings,
  state: SyncState,
  stopping: boolean,
  nowMs: number,
): TableStatus {
  const realtimeEnabled = settings.realtime && spec.realtime;
  return {
    table: tableName(spec),
    state: stateName(state, stopping),
    versionColumn: state.versionColumn,
    reconcileCursor: state.reconcileCursor,
    ledgerPosition: state.ledgerPosition,
    initialCopy: state.initialCopy,
    realtime: { ...state.realtime, enabled: realtimeEnabled },
    counters: state.counters,
    lastPass: state.lastPass,
    lastSuccessAt: state.lastSuccessAt,
    lastError: state.lastError,
    lagSeconds: lagSeconds(state, realtimeEnabled, nowMs),
    passes: state.passes,
    runs: state.runs,
  };
}

/** The value shown in the Temporal UI's SyncState search attribute. */
export function searchAttributeState(state: SyncState, stopping: boolean): string {
  return stateName(state, stopping);
}
