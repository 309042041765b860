/**
 * The direct path (SYNC_SOURCE_DATABASE_URL and SYNC_TARGET_DATABASE_URL both set): the projects'
 * Postgres reached by their URLs instead of the Data API, for whole-table reads (the first copy,
 * `backfill --full`) and `verify`. Rows move as COPY streams from one database to the other inside
 * the worker; the adapters are src/supabase/direct-source.ts and direct-target.ts.
 */
import type { KeyTextValues, TableRef } from './ports.js';
import type { RangeChecksums } from './range-checksums.js';

/** A key range (after, until] in key order; a null bound is open. */
export interface KeyRange {
  after: KeyTextValues | null;
  until: KeyTextValues | null;
}

/**
 * What a COPY of one table moves: the target's stored columns (generated ones left out) in its
 * order, the format both sides use (binary, or text where a column's binary form carries type ids
 * that differ between two databases: composite types, arrays of the project's own types), and the
 * key columns' types (for the range bounds).
 */
export interface CopyPlan {
  columns: string[];
  /** Each column's type as the target's catalog writes it (format_type). */
  types: string[];
  format: 'binary' | 'text';
  keyTypes: string[];
}

/** What one range's merge did (`sync_apply_staged`). */
export interface StagedResult {
  rows: number;
  written: number;
  skipped: number;
  /** The newest version among the rows (null without a version column or rows). */
  maxVersion: string | null;
  /** A unique constraint other than the key refused the rows: nothing was written. */
  conflict?: string;
}

/** One range to write on the target: what `DirectTarget.copyIn` takes. */
export interface RangeCopy {
  ref: TableRef;
  plan: CopyPlan;
  versionColumn: string | null;
  range: KeyRange;
  /** The range's rows as the source's COPY stream. */
  data: () => AsyncIterable<Uint8Array>;
  signal: AbortSignal;
}

/** Reading the source's Postgres. */
export interface DirectSource extends Required<RangeChecksums> {
  /**
   * The keys that cut the rows after `after` into ranges of `rowsPerRange` rows: every
   * `rowsPerRange`-th key, at most `ranges` of them (fewer near the end of the table).
   */
  rangeBounds(
    ref: TableRef,
    plan: CopyPlan,
    after: KeyTextValues | null,
    rowsPerRange: number,
    ranges: number,
  ): Promise<KeyTextValues[]>;
  /** The rows of a range as a COPY stream (one statement: one snapshot). Ends the stream on `signal`. */
  copyOut(ref: TableRef, plan: CopyPlan, range: KeyRange, signal: AbortSignal): AsyncIterable<Uint8Array>;
  /** The table's stored columns (generated ones left out): a COPY carries those both sides have. */
  columnNames(ref: TableRef): Promise<string[]>;
  /** The keys of a range (as text, in key order), at most `limit`. */
  rangeKeys(ref: TableRef, plan: CopyPlan, range: KeyRange, limit: number): Promise<KeyTextValues[]>;
  close(): Promise<void>;
}

/** Writing the target's Postgres. */
export interface DirectTarget extends Required<RangeChecksums> {
  /** The columns and format of a COPY of the table (read from the target's catalog). */
  copyPlan(ref: TableRef): Promise<CopyPlan>;
  /**
   * Writes the rows of `copy.range` that `copy.data()` streams (called again if a first try must be
   * undone), in one transaction: all of the range or none of it. Straight into the table when the
   * target holds none of the range, else through a staging table merged by `sync_apply_staged`.
   */
  copyIn(copy: RangeCopy): Promise<StagedResult>;
  close(): Promise<void>;
}

/** Both sides, and how many ranges are copied at once (SYNC_DIRECT_COPY_PARALLEL). */
export interface DirectDatabases {
  source: DirectSource;
  target: DirectTarget;
  parallel: number;
  /** Rows per key range (default 25,000: src/activities/direct-copy.ts). */
  rowsPerRange?: number;
}
