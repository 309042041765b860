/**
 * Activity inputs and results: names, cursors and counts only (they are recorded in history).
 * `table` is the table's TableConfig as the workflow holds it.
 */
import type { TableConfig } from './config.js';
import type { SchemaDifference } from './schema-difference.js';
import type { KeysetCursor, KeyTextValues, KeyValues } from './ports.js';

/** The failure type of an activity ended by the worker's graceful shutdown (an expected stop). */
export const WORKER_SHUTDOWN = 'WorkerShutdown';

export interface PrepareTableInput {
  table: TableConfig;
}

export interface PrepareTableResult {
  versionColumn: string | null;
  sourceRows: number | null;
  /** `sourceRows` is an exact count (small tables), not the planner's estimate (absent: exact). */
  sourceRowsExact?: boolean;
  /** The newest version on the source now (where reconciliation resumes after a whole-table copy). */
  maxVersion: string | null;
  /** Differences of the target's table from the source's that do not stop it (shown in status). */
  drift?: DriftNote[];
}

/** A schema difference as the workflow keeps it: what it is and the SQL that fixes it (no row data). */
export type DriftNote = Pick<SchemaDifference, 'kind' | 'name' | 'message' | 'sql'>;

export interface ReconcileChunkInput {
  table: TableConfig;
  versionColumn: string | null;
  /** 'by-key': the whole table in key order; 'by-version': rows changed at/after `from`. */
  mode: 'by-key' | 'by-version';
  afterKey: KeyValues | null;
  afterVersion: KeysetCursor | null;
  from: string | null;
  batchSize: number;
  /** Return after about this long (not done) so the workflow records a checkpoint. */
  maxDurationMs: number;
  /** Check the table's schema on both projects first (the first chunk of a pass): drift comes back in the result. */
  checkSchema?: boolean;
}

export interface ReconcileChunkResult {
  rowsRead: number;
  written: number;
  skipped: number;
  done: boolean;
  afterKey: KeyValues | null;
  afterVersion: KeysetCursor | null;
  /** Highest version among the rows read (null if none or no version column). */
  maxVersion: string | null;
  /** With `checkSchema`: the differences that do not stop the table (a blocking one fails the chunk). */
  drift?: DriftNote[];
}

export interface SyncSequencesInput {
  table: TableConfig;
  /** Sequences the tables file names (`schema.name`), synced with every table's. */
  sequences?: string[];
  /** Move the target this far past the source (`failover promote`); default 0. */
  margin?: number;
}

export interface SyncSequencesResult {
  /** Sequences found on the source. */
  sequences: number;
  /** Moved forward on the target by this call. */
  advanced: number;
  /** `schema.name` of the sequences the target lacks. */
  missing: string[];
}

export interface ReplayDeletionsInput {
  table: TableConfig;
  versionColumn: string | null;
  batchSize: number;
  maxDurationMs: number;
  /** Once the ledger is replayed, the table's sequences are moved forward too (the pass's last step). */
  thenSequences?: { sequences?: string[] };
}

export interface ReplayDeletionsResult {
  replayed: number;
  deleted: number;
  lastId: number;
  done: boolean;
  /** TRUNCATE entries replayed. */
  truncates?: number;
  /** While a truncate is replayed: the last target key compared (a retried attempt resumes after it). */
  truncateAfter?: KeyTextValues;
  /** The sequences moved forward after the replay (`thenSequences`). */
  sequences?: SyncSequencesResult;
}

export interface RealtimeFeedInput {
  table: TableConfig;
  versionColumn: string | null;
  /** Identifies this feed; it stops when the workflow no longer wants this generation. */
  generation: string;
  /** How often counts are signalled to the workflow at most (default PROGRESS_INTERVAL_MS, 60 s). */
  progressIntervalMs?: number;
  /**
   * A feed that replaces one whose worker died: the rows changed since this version (and the
   * pending ledger entries) are checked against the target at once (realtime-gaps.ts), without
   * waiting for the catch-up pass.
   */
  healFrom?: string | null;
}

/** One hold of a worker's liveness (src/workflows/presence.ts). */
export interface HoldPresenceInput {
  identity: string;
  /** The hold ends after this long ('renew'), and the workflow starts the next at once. */
  renewMs?: number;
}

/** How a hold ended: the worker stopped, or its time was up and the next hold follows. */
export type HoldEnd = 'stopped' | 'renew';
