/**
 * What a table workflow carries: names, cursors and counts only — never row data, never keys
 * (service role keys stay in the worker's config).
 */
import type { DriftNote } from './activities.js';
import type { TableConfig } from './config.js';
import type { KeysetCursor, KeyValues } from './ports.js';

export interface SyncSettings {
  /** Time between timer-driven passes (SYNC_RECONCILE_INTERVAL_MS). */
  intervalMs: number;
  /**
   * Time between timer-driven passes while the realtime feed is live (SYNC_RECONCILE_INTERVAL_LIVE_MS):
   * reconciliation is then the safety net. 0, absent (a workflow started before it existed) or at
   * most `intervalMs`: the same as `intervalMs`.
   */
  liveIntervalMs?: number;
  /**
   * How often the realtime feed signals progress while only counts and the watermark move; absent:
   * the feed's default (PROGRESS_INTERVAL_MS in src/activities/realtime.ts, 60 s). For tests.
   */
  realtimeProgressMs?: number;
  /**
   * The realtime feed's heartbeat timeout; absent: FEED_HEARTBEAT_TIMEOUT_MS (5 min, in
   * src/workflows/quiet-interval.ts). A dead worker's feeds are taken over through its liveness
   * workflow (src/engine/presence.ts), not this. For tests and the bench's faster clock.
   */
  feedHeartbeatMs?: number;
  lookbackMs: number;
  batchSize: number;
  /** Limits the first copy to rows changed in this window; null copies the whole table. */
  initialBackfillMs: number | null;
  realtime: boolean;
  /** false: one pass, then the workflow completes (reconcile-only / cron mode). */
  loop: boolean;
  /** Continue-as-new after this many passes even if the server has not suggested it. */
  maxPassesPerRun: number;
  /** Keep the SyncTable/SyncState search attributes up to date (they must be registered on the server). */
  searchAttributes: boolean;
  /** Sequences the tables file names (`schema.name`): every table's pass moves them forward too. */
  sequences?: string[];
}

export interface InitialCopyState {
  done: boolean;
  /** 'full': the whole table in key order; 'window': rows whose version is at or after `from`. */
  mode: 'full' | 'window';
  from: string | null;
  keyCursor: KeyValues | null;
  versionCursor: KeysetCursor | null;
  rowsCopied: number;
  /** The source's row count before the copy: an estimate unless `totalExact` (absent: exact). */
  total: number | null;
  totalExact?: boolean;
  startedAt: number | null;
  finishedAt: number | null;
  /**
   * Time spent in copy chunks (ms) and the rows they copied: the rate, without the time a pause or
   * an outage stopped the copy (src/core/copy-progress.ts). Absent in states recorded before.
   */
  activeMs?: number;
  timedRows?: number;
  /** When the last chunk's counts were recorded (workflow time): a running chunk scheduled since is not in them. */
  lastChunkAt?: number;
}

export interface Counters {
  reconcileWritten: number;
  reconcileSkipped: number;
  realtimeWritten: number;
  realtimeSkipped: number;
  realtimeDeleted: number;
  realtimeReread: number;
  /** Changes Realtime dropped that the feed found and applied itself (absent in older states). */
  realtimeHealed?: number;
  ledgerDeleted: number;
  ledgerReplayed: number;
}

export interface PassSummary {
  kind: 'initial-copy' | 'reconcile' | 'catch-up' | 'manual';
  startedAt: number;
  finishedAt: number;
  rowsRead: number;
  written: number;
  skipped: number;
  deletesReplayed: number;
  deleted: number;
  ok: boolean;
  error?: string;
}

export interface LastError {
  at: number;
  where: 'prepare' | 'reconcile' | 'deletions' | 'realtime';
  message: string;
  /** The SyncError kind behind it (core/errors.ts `errorKind`): `schema`, `config`, `unavailable`, … */
  kind?: string;
}

export interface RealtimeState {
  connected: boolean;
  /** Why the last subscription was lost (a refused join, a closed channel, …), until it is live again. */
  lostReason?: string | null;
  /** The identity of the worker process the live feed runs in (from its last subscribe). */
  worker?: string | null;
  /** commit_timestamp of the last change applied from Realtime. */
  watermark: string | null;
  lastLagMs: number | null;
  subscriptions: number;
  lastProgressAt: number | null;
}

export interface SyncState {
  versionColumn: string | null;
  prepared: boolean;
  initialCopy: InitialCopyState;
  /** Highest version seen by reconciliation; the next pass starts at this minus the lookback. */
  reconcileCursor: string | null;
  /** Highest ledger id replayed (for display: replay selects unprocessed entries, not ids after this). */
  ledgerPosition: number;
  realtime: RealtimeState;
  paused: boolean;
  counters: Counters;
  lastPass: PassSummary | null;
  lastSuccessAt: number | null;
  lastError: LastError | null;
  consecutiveFailures: number;
  passes: number;
  runs: number;
  /** How the target's table differs from the source's, where that does not stop the table (absent: none known). */
  schemaDrift?: DriftNote[];
}

export interface TableSyncInput {
  table: TableConfig;
  settings: SyncSettings;
  state?: SyncState;
}

/** What a `tableSync` run ends with. */
export interface TableSyncResult {
  status: TableStatus;
  /** The checkpoint, for a later run of the same id to resume from. */
  state: SyncState;
}

/**
 * Sent by the realtime activity when its connection changes, otherwise at most every 60 s (never
 * while nothing changes): increments since the last one.
 */
export interface RealtimeProgress {
  connected: boolean;
  watermark: string | null;
  lagMs: number | null;
  written: number;
  skipped: number;
  deleted: number;
  reread: number;
  /** Changes Realtime did not deliver that the feed found on the source and applied (absent: 0). */
  healed?: number;
  /** Why the feed is not connected, when it lost its subscription (no row data). */
  lostReason?: string;
  /** The worker whose feed sent it (absent in signals recorded before it was added). */
  worker?: string;
}

/**
 * What `status` shows: `starting` (being checked), `copying` (the first copy), `running`, `paused`,
 * `failing` (passes or the feed fail and are retried with backoff), `blocked` (waiting for a person:
 * schema drift, a configuration or migration to fix; retried every interval), `stopped`.
 */
export type SyncStateName = 'starting' | 'copying' | 'running' | 'paused' | 'failing' | 'blocked' | 'stopped';

/** A first copy's progress as shown (src/core/copy-progress.ts): counts, rate and time left, no row data. */
export interface CopyProgress {
  done: boolean;
  copied: number;
  /** How many rows the copy brings, as the source estimated them; null when not known (or a window). */
  estimate: number | null;
  /** The estimate is an exact count (a small table). */
  exact: boolean;
  /** Rows per second over the time spent copying; null until measured. */
  rowsPerSecond: number | null;
  /** Time left, from the estimate and the rate; null when either is unknown. */
  secondsLeft: number | null;
  /** How long the finished copy took (ms); null while copying or not measured. */
  tookMs: number | null;
  /** The one line shown for it (src/core/copy-progress.ts copyLine). */
  line: string;
}

export interface TableStatus {
  table: string;
  state: SyncStateName;
  versionColumn: string | null;
  reconcileCursor: string | null;
  ledgerPosition: number;
  initialCopy: InitialCopyState;
  realtime: RealtimeState & { enabled: boolean };
  counters: Counters;
  lastPass: PassSummary | null;
  lastSuccessAt: number | null;
  lastError: LastError | null;
  lagSeconds: number | null;
  passes: number;
  runs: number;
  /** Schema differences that do not stop the table (a blocking one is in lastError). */
  schemaDrift: DriftNote[];
  /**
   * The first copy's progress (or, once done, how long it took); `status` recomputes it with the
   * running chunk's heartbeat. Absent in memos recorded before it.
   */
  copyProgress?: CopyProgress;
}

/** What a `reconcileNow` pass reads: since a time (`since`, ISO 8601), the whole table (`full`), or from the checkpoint. */
export interface PassOptions {
  since?: string;
  full?: boolean;
}

export interface ReconcileResult {
  table: string;
  ok: boolean;
  pass: PassSummary | null;
  error?: string;
}

/**
 * What the CLI adds to a request it sends (an update): the workflow refuses it once `notAfter`
 * (epoch ms) has passed, so a request the CLI gave up waiting for never applies later.
 */
export interface RequestOptions {
  notAfter?: number;
}

/**
 * The status as the workflow last recorded it in its memo (`syncStatus`), readable without a
 * worker: the status without the copy's key cursors, and when it was recorded.
 */
export type RecordedStatus = TableStatus & { recordedAt: number };
