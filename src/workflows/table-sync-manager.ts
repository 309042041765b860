/**
 * One table's sync, as its workflow holds it (in the style of the safe-message-handlers sample's
 * ClusterManager): the table and its settings, its SyncState (the checkpoint, carried over
 * continue-as-new), what each message does, and the steps of the workflow's loop (table-sync.ts).
 * Decisions are the pure functions of decisions.ts; when a pass is due, pass-clock.ts; the
 * activities are called through preparing.ts (checking the table), feed.ts (the realtime feed)
 * and passes.ts (copy, reconciliation, deletion replay).
 */
import { condition, log, patched, workflowInfo } from '@temporalio/workflow';
import type { TableConfig } from '../contracts/config.js';
import type {
  LastError,
  PassOptions,
  PassSummary,
  RealtimeProgress,
  ReconcileResult,
  SyncSettings,
  SyncState,
  TableStatus,
  TableSyncInput,
} from '../contracts/table-sync.js';
import { errorKind, errorMessage } from '../core/errors.js';
import {
  applyRealtimeProgress,
  feedIsLive,
  initialState,
  keyColumnsChanged,
  nextWaitMs,
  prepareRetryMs,
  takeoverHealFrom,
  planInitialCopy,
  realtimeEnabled,
  recordFeedWorkerLost,
  recordSubscribed,
  shouldContinueAsNew,
} from './decisions.js';
import { buildStatus, isFailing, phaseOf, type Phase } from './table-status.js';
import { RealtimeFeed } from './feed.js';
import { PassRequests } from './pass-requests.js';
import { tableName } from '../core/names.js';
import { PassClock } from './pass-clock.js';
import { runPass } from './passes.js';
import { blockOnSchemaError, prepare, type PreparingTable } from './preparing.js';
import { StatePublisher } from './publish.js';
import { resetBackoff } from './requests.js';
import { feedHeartbeatTimeoutMs, QUIET_LIVE_PATCH, QuietCadence } from './quiet-interval.js';

type Configuration = Omit<TableSyncInput, 'state'>;

/** `configure` ends a failing table's backoff: added after histories were recorded (replay.test.ts). */
const CONFIGURE_RETRY_PATCH = 'configure-retries-now';

export class TableSyncManager implements PreparingTable {
  /** The table and its settings can change while it runs (the `configure` update from `npm run sync`). */
  table: TableConfig;
  settings: SyncSettings;
  state: SyncState;
  stopping = false;
  private readonly clock: PassClock;
  private passRunning = false;
  private readonly quiet: QuietCadence;
  private readonly requests: PassRequests;
  /** state.passes when this run began: passes of this run are counted from it. */
  private readonly passesBefore: number;
  private readonly publisher = new StatePublisher();
  readonly feed = new RealtimeFeed(
    (error) => {
      this.fail('realtime', error);
      blockOnSchemaError(this);
    },
    () => (this.state.realtime = { ...this.state.realtime, connected: false }),
  );

  constructor(input: TableSyncInput) {
    this.table = input.table;
    this.settings = input.settings;
    this.state = { ...(input.state ?? initialState(input.settings, Date.now())) };
    this.state.runs += 1;
    // A new run (continue-as-new or a fresh start) learns the live connection state anew.
    this.state.realtime = { ...this.state.realtime, connected: false };
    this.clock = new PassClock(Boolean(input.state && this.state.initialCopy.done));
    this.requests = new PassRequests(this.name);
    this.passesBefore = this.state.passes;
    // patched() once per run, in its first task: runs recorded before it keep the live interval.
    this.quiet = new QuietCadence(patched(QUIET_LIVE_PATCH), this.state);
  }

  get name(): string {
    return tableName(this.table);
  }

  get phase(): Phase {
    return phaseOf(this.state, this.stopping);
  }

  private get realtimeEnabled(): boolean {
    return realtimeEnabled(this.table, this.settings);
  }

  status(): TableStatus {
    return buildStatus(this.table, this.settings, this.state, this.stopping, Date.now());
  }

  /** Shows the state outside the workflow when it changed (publish.ts): the UI's SyncState, the memo. */
  publishState(options: { final?: boolean } = {}): void {
    this.publisher.publish(this, options.final === true);
  }

  fail(where: LastError['where'], error: unknown): void {
    const message = errorMessage(error);
    const kind = errorKind(error);
    this.state.lastError = { at: Date.now(), where, message, ...(kind ? { kind } : {}) };
    log.warn(`${this.name}: ${where} failed: ${message}`);
  }

  // ---- messages ----

  async pause(reason?: string): Promise<TableStatus> {
    this.state.paused = true;
    log.info(`${this.name}: paused${reason ? ` (${reason})` : ''}`);
    await condition(() => !this.passRunning && !this.feed.running);
    this.publishState();
    return this.status();
  }

  resume(): TableStatus {
    this.state.paused = false;
    this.publishState();
    return this.status();
  }

  async stop(): Promise<TableStatus> {
    this.stopping = true;
    await condition(() => !this.passRunning && !this.feed.running);
    return this.status();
  }

  reconcileNow(options?: PassOptions): Promise<ReconcileResult> {
    return this.requests.manual(options, () => this.stopping);
  }

  validateConfigure(next: Configuration): void {
    if (next.table.schema !== this.table.schema || next.table.table !== this.table.table) {
      throw new Error(`this workflow syncs ${this.name}, not ${tableName(next.table)}`);
    }
  }

  async configure(next: Configuration): Promise<TableStatus> {
    const keysChanged = keyColumnsChanged(this.table, next.table);
    const feedWas = this.realtimeEnabled;
    this.table = next.table;
    this.settings = next.settings;
    if (isFailing(this.state) && patched(CONFIGURE_RETRY_PATCH)) {
      this.state = resetBackoff(this.state);
      this.requests.retryNow = true;
    }
    if (keysChanged) {
      // Different key or version columns: check the table again and restart the feed with them.
      this.state = { ...this.state, prepared: false };
      await this.feed.stop();
    } else if (feedWas && !this.realtimeEnabled) {
      await this.feed.stop();
    }
    return this.status();
  }

  /**
   * A full re-copy: the first copy again, from the start of the key order, with a fresh count. It
   * starts between chunks, so no chunk of a pass in flight lands in the new copy's progress.
   */
  async backfill(): Promise<TableStatus> {
    await condition(() => !this.passRunning);
    this.state = {
      ...this.state,
      prepared: false,
      initialCopy: { ...planInitialCopy({ initialBackfillMs: null }, Date.now()) },
    };
    this.requests.catchUp = true;
    return this.status();
  }

  onRealtimeProgress(progress: RealtimeProgress): void {
    if (typeof progress !== 'object' || progress === null) return;
    this.state = applyRealtimeProgress(this.state, progress, Date.now());
  }

  /** Realtime does not replay what happened while it was not subscribed: catch up now. */
  onRealtimeSubscribed(from?: { worker?: string }): void {
    this.requests.catchUp = true;
    this.state = recordSubscribed(this.state, from?.worker);
  }

  /** Another worker saw the one running this table's feed die: the feed starts again elsewhere. */
  onFeedWorkerLost(lost: { worker: string }): void {
    if (!this.feed.running || !lost?.worker || this.state.realtime.worker !== lost.worker) return;
    log.warn(
      `${this.name}: the worker running the realtime feed (${lost.worker}) is gone; starting the feed again`,
    );
    this.feed.abandon();
    this.state = recordFeedWorkerLost(this.state);
    this.feedRestart = true;
  }

  /** A feed was abandoned: the loop starts a new one without waiting for the next pass. */
  feedRestart = false;

  // ---- the loop's steps (table-sync.ts) ----

  /** preparing: checks the table on both projects and picks its version column. */
  prepare(): Promise<boolean> {
    return prepare(this);
  }

  /** After a failed prepare: waits out the backoff, or one interval when blocked (or a stop, or new settings). */
  async retryLater(): Promise<void> {
    const wait = prepareRetryMs(this.settings, this.state);
    await condition(() => this.stopping || this.requests.retryNow, wait);
    this.requests.retryNow = false;
  }

  /** paused, with no `reconcileNow` waiting: the feed stops until resumed (or stopped, or asked for a pass). */
  get idlePaused(): boolean {
    return this.state.paused && !this.requests.manualPending;
  }

  async whilePaused(): Promise<void> {
    await this.feed.stop();
    this.publishState();
    await condition(() => !this.state.paused || this.stopping || this.requests.manualPending);
  }

  /** copying / running: the feed runs whenever the table may have one. */
  startFeed(): void {
    const takeover = this.feedRestart;
    this.feedRestart = false;
    if (!this.realtimeEnabled || this.state.paused || this.stopping || !this.state.prepared) return;
    this.feed.start(feedHeartbeatTimeoutMs(this.settings), {
      table: this.table,
      versionColumn: this.state.versionColumn,
      ...(takeover ? { healFrom: takeoverHealFrom(this.state, this.settings) } : {}),
      ...(this.settings.realtimeProgressMs !== undefined
        ? { progressIntervalMs: this.settings.realtimeProgressMs }
        : {}),
    });
  }

  /** How long after the last pass the next one is due: longer while the realtime feed is live. */
  private waitAfterPass(): number {
    const live = feedIsLive({
      realtimeEnabled: this.realtimeEnabled,
      feedRunning: this.feed.running,
      state: this.state,
    });
    const wait = nextWaitMs(this.settings, this.state.consecutiveFailures, live);
    return this.quiet.waitMs(wait, this.settings, live, this.state);
  }

  /** Waits until a pass is due (or asked for); false when the loop should look at the table again first. */
  async untilPassDue(): Promise<boolean> {
    const due = await this.clock.untilDue(
      () => this.waitAfterPass(),
      () => this.stopping || this.state.paused || this.requests.due || this.feedRestart,
    );
    if (due !== 'now' && (this.stopping || (due === 'early' && !this.requests.due))) return false;
    // A backfill (or new key columns) asks for the table to be checked and counted again first.
    return this.state.prepared;
  }

  /** Runs the pass that is due (see PassRequests.next) and records it. */
  async runDuePass(): Promise<PassSummary> {
    const { kind, options, manual } = this.requests.next(!this.state.initialCopy.done);
    this.passRunning = true;
    const pass = await runPass(this, kind, options).finally(() => (this.passRunning = false));
    this.requests.finished(pass, manual);
    this.clock.passed();
    this.quiet.passed(this.state);
    if (!pass.ok && blockOnSchemaError(this)) await this.feed.stop();
    this.publishState();
    return pass;
  }

  shouldContinueAsNew(): boolean {
    return shouldContinueAsNew({
      continueAsNewSuggested: workflowInfo().continueAsNewSuggested,
      passesThisRun: this.passesThisRun,
      maxPassesPerRun: this.settings.maxPassesPerRun,
      historyLength: workflowInfo().historyLength,
    });
  }

  get passesThisRun(): number {
    return this.state.passes - this.passesBefore;
  }

  /** What continue-as-new carries over, and what the workflow returns. */
  configuration(): TableSyncInput & { state: SyncState } {
    return { table: this.table, settings: this.settings, state: this.state };
  }
}
