/**
 * A pass of the table workflow: the first copy (until it is done) or reconciliation, then deletion
 * replay. The copy and reconciliation share one chunk loop (readChunks); each activity returns
 * after about CHUNK_MS so the checkpoint is recorded in workflow state as the pass goes. Only
 * cursors and counts come back from the activities. A reconciliation pass checks the table's schema
 * on both projects in its first chunk, so drift that does not stop writes (a column dropped on the
 * source) is still shown.
 */
import { log, patched, proxyActivities } from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.js';
import type { ReconcileChunkInput, ReconcileChunkResult } from '../contracts/activities.js';
import type { TableConfig } from '../contracts/config.js';
import type {
  LastError,
  PassOptions,
  PassSummary,
  SyncSettings,
  SyncState,
} from '../contracts/table-sync.js';
import { errorMessage } from '../core/errors.js';
import { advanceCursor, reconcileFrom } from '../core/versions.js';
import { recordPass } from './decisions.js';
import { COPY_PROGRESS_PATCH } from './publish.js';
import { tableName } from '../core/names.js';

/** patched() id: every pass moves the table's sequences forward on the target (2026-12-02). */
const SEQUENCES_PATCH = 'sync-sequences-2026-12-02';
/** patched() id: …at the end of the deletion replay's activity, not in one of its own (idle cost). */
const SEQUENCES_IN_REPLAY_PATCH = 'sequences-in-replay-2026-12-02';

/** An activity chunk returns after about this long so progress is checkpointed in state. */
const CHUNK_MS = 20_000;

const { reconcileChunk, replayDeletions, syncSequences } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '10 minutes',
  // A worker that dies mid-pass is noticed within this; pages heartbeat as they are written.
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '30s' },
});

/** What a pass reads, and the state it moves (the TableSyncManager). */
export interface PassTable {
  readonly table: TableConfig;
  readonly settings: SyncSettings;
  state: SyncState;
  readonly stopping: boolean;
  fail(where: LastError['where'], error: unknown): void;
  /** Shows the state outside the workflow (the memo, the UI's details) if it changed. */
  publishState(): void;
}

/**
 * Runs one pass and records it in the state (counters, checkpoint, failure streak). A first copy
 * interrupted by a pause or stop is not recorded: it goes on from its cursor next time.
 */
export async function runPass(
  t: PassTable,
  kind: PassSummary['kind'],
  options: PassOptions,
): Promise<PassSummary> {
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
    if (!t.state.initialCopy.done) {
      if (!(await copy(t, pass))) {
        pass.finishedAt = Date.now();
        return pass;
      }
    } else if (t.table.reconcile || kind !== 'reconcile') {
      maxVersion = await reconcile(t, pass, options);
    }
    where = 'deletions';
    // After the rows: the target's sequences are never behind the source's (after the first copy
    // too), moved by the replay's last activity.
    const inReplay = patched(SEQUENCES_IN_REPLAY_PATCH);
    await replayLedger(t, pass, inReplay);
    where = 'reconcile';
    if (!inReplay && patched(SEQUENCES_PATCH)) {
      await syncSequences({
        table: t.table,
        ...(t.settings.sequences ? { sequences: t.settings.sequences } : {}),
      });
    }
  } catch (error) {
    pass.ok = false;
    pass.error = errorMessage(error);
    t.fail(where, error);
  }
  pass.finishedAt = Date.now();
  t.state = recordPass(t.state, pass, maxVersion);
  if (pass.ok && (t.state.lastError?.where === 'reconcile' || t.state.lastError?.where === 'deletions')) {
    t.state.lastError = null;
  }
  return pass;
}

type ChunkRead = Omit<ReconcileChunkInput, 'maxDurationMs' | 'checkSchema'>;

/**
 * Reads the table chunk by chunk from `read`'s cursor until the read is done, or until
 * `interrupted()` (asked after each chunk) says stop. Each chunk's counts are added to `pass` and the
 * chunk is handed to `onChunk` with how long it took (to move a checkpoint and measure the rate).
 * Returns whether the read is done.
 */
async function readChunks(
  read: ChunkRead,
  pass: PassSummary,
  interrupted: () => boolean,
  onChunk: (chunk: ReconcileChunkResult, tookMs: number) => void,
  checkSchema = false,
): Promise<boolean> {
  let cursor = { afterKey: read.afterKey, afterVersion: read.afterVersion };
  for (let first = true; ; first = false) {
    const began = Date.now();
    const chunk = await reconcileChunk({
      ...read,
      ...cursor,
      maxDurationMs: CHUNK_MS,
      ...(first && checkSchema ? { checkSchema: true } : {}),
    });
    pass.rowsRead += chunk.rowsRead;
    pass.written += chunk.written;
    pass.skipped += chunk.skipped;
    cursor = { afterKey: chunk.afterKey, afterVersion: chunk.afterVersion };
    onChunk(chunk, Date.now() - began);
    if (chunk.done) return true;
    if (interrupted()) return false;
  }
}

/** The first copy, continued from its cursor; false when a pause or stop interrupted it. */
async function copy(t: PassTable, pass: PassSummary): Promise<boolean> {
  const interrupted = () => t.stopping || t.state.paused;
  const start = t.state.initialCopy;
  if (start.startedAt === null) t.state.initialCopy = { ...start, startedAt: Date.now() };
  if (interrupted()) return false;
  const byKey = start.mode === 'full' || t.state.versionColumn === null;
  const read: ChunkRead = {
    table: t.table,
    versionColumn: t.state.versionColumn,
    mode: byKey ? 'by-key' : 'by-version',
    afterKey: start.keyCursor,
    afterVersion: start.versionCursor,
    from: byKey ? null : start.from,
    batchSize: t.settings.batchSize,
  };
  const done = await readChunks(read, pass, interrupted, (chunk, tookMs) => {
    const before = t.state.initialCopy;
    t.state.initialCopy = {
      ...before,
      keyCursor: chunk.afterKey,
      versionCursor: chunk.afterVersion,
      rowsCopied: before.rowsCopied + chunk.rowsRead,
      done: chunk.done,
      finishedAt: chunk.done ? Date.now() : null,
      // The rate counts the time chunks ran, not a pause or an outage between them.
      activeMs: (before.activeMs ?? 0) + tookMs,
      timedRows: (before.timedRows ?? 0) + chunk.rowsRead,
      lastChunkAt: Date.now(),
    };
    // A windowed copy reads in version order: its checkpoint moves as it goes.
    if (before.mode === 'window') t.state.reconcileCursor = chunk.maxVersion ?? t.state.reconcileCursor;
    // The last chunk's progress is shown at the end of the pass.
    if (!chunk.done && patched(COPY_PROGRESS_PATCH)) t.publishState();
  });
  if (!done) return false;
  const copied = t.state.initialCopy;
  if (copied.mode === 'full') t.state.reconcileCursor = copied.from ?? t.state.reconcileCursor;
  log.info(`${tableName(t.table)}: initial copy done, ${copied.rowsCopied} rows`);
  return true;
}

/** Rows changed since the checkpoint (minus the lookback), or since `since`, or all with `full`. */
async function reconcile(t: PassTable, pass: PassSummary, options: PassOptions): Promise<string | null> {
  const byKey = options.full === true || t.state.versionColumn === null;
  let maxVersion: string | null = null;
  const read: ChunkRead = {
    table: t.table,
    versionColumn: t.state.versionColumn,
    mode: byKey ? 'by-key' : 'by-version',
    afterKey: null,
    afterVersion: null,
    from: options.since ?? reconcileFrom(t.state.reconcileCursor, t.settings.lookbackMs),
    batchSize: t.settings.batchSize,
  };
  await readChunks(
    read,
    pass,
    () => t.stopping,
    (chunk) => {
      maxVersion = advanceCursor(maxVersion, chunk.maxVersion);
      if (chunk.drift) t.state.schemaDrift = chunk.drift;
    },
    // Each pass looks at the schema first: drift that does not stop writes is still shown.
    true,
  );
  return maxVersion;
}

/** Replays the deletion ledger until it is drained, or until a stop (asked after each batch). */
async function replayLedger(t: PassTable, pass: PassSummary, withSequences: boolean): Promise<void> {
  for (;;) {
    const result = await replayDeletions({
      table: t.table,
      versionColumn: t.state.versionColumn,
      batchSize: t.settings.batchSize,
      maxDurationMs: CHUNK_MS,
      ...(withSequences
        ? { thenSequences: t.settings.sequences ? { sequences: t.settings.sequences } : {} }
        : {}),
    });
    pass.deletesReplayed += result.replayed;
    pass.deleted += result.deleted;
    t.state.ledgerPosition = Math.max(t.state.ledgerPosition, result.lastId);
    if (result.done || t.stopping) return;
  }
}
