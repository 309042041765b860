/**
 * What the sync needs from a Supabase project, independent of how it is reached: the one contract
 * the activities see. The supabase-js adapters implement it, one module per role: `source.ts`
 * (reading the primary), `target.ts` (writing the backup), `realtime.ts` (the change feed).
 * Row data flows through these calls inside activities and never reaches Temporal.
 */
import type { TableConfig } from '../config/types.js';

export type Row = Record<string, unknown>;

/** The part of a table (its TableConfig) that reading and writing it needs. */
export type TableRef = Pick<TableConfig, 'schema' | 'table' | 'primaryKeys'>;

/** A primary key's values in key order, as the REST API returns them. */
export type KeyValues = Array<string | number | boolean | null>;

/**
 * A keyset position: the version (as the API returns it; null in key order) and the key of the
 * last row read. Pages continue strictly after it. Kept in workflow state and in heartbeats.
 */
export interface KeysetCursor {
  version: string | null;
  key: KeyValues;
}

export interface PendingDeletion {
  id: number;
  primaryKey: Row;
  deletedAt: string;
}

export interface ChangeEvent {
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  commitTimestamp: string | null;
  /** The new row (INSERT/UPDATE). */
  record: Row | undefined;
  /** Primary-key values of the old row (DELETE, or UPDATE that changed the key). */
  oldRecord: Row | undefined;
  /** Realtime marks truncated (over ~1 MB) or failed payloads here: re-read the row by key. */
  errors: string[] | null;
}

export type SubscriptionStatus = { kind: 'live' } | { kind: 'lost'; reason: string };

export interface ChangeSubscription {
  close(): Promise<void>;
}

/** A primary-key value as text, in primary-key order: exact for int8/numeric keys (see verify). */
export type KeyText = string[];

/** One bucket of `summarizeRange`: its first and last key, its row count and checksum. */
export interface RangeBucket {
  first: KeyText;
  last: KeyText;
  rows: number;
  /** The sum of the rows' 64-bit checksums, as decimal text. */
  hash: string;
}

/** Row count and checksum of one range of `hashRanges`. */
export interface RangeHash {
  rows: number;
  hash: string;
}

/** One row of `listRange`: its key and its checksum. */
export interface KeyHash {
  key: KeyText;
  hash: string;
}

/**
 * Comparing a table on both projects without moving it (`supabase-sync verify`, the functions of
 * supabase/migrations/20251124120000_sync_verify.sql). Ranges are (after, until] in key order; a null
 * bound is open. Both projects implement it; optional so existing test doubles stay valid.
 */
export interface RangeChecksums {
  /** The rows in (after, until] cut into at most `buckets` buckets of equal row counts (each of at least `minBucketRows`). */
  summarizeRange?(
    ref: TableRef,
    after: KeyText | null,
    until: KeyText | null,
    buckets: number,
    minBucketRows?: number,
  ): Promise<RangeBucket[]>;
  /** Count and checksum of (after, b1], (b1, b2], … (a null last bound: to the end). */
  hashRanges?(ref: TableRef, after: KeyText | null, bounds: Array<KeyText | null>): Promise<RangeHash[]>;
  /** Keys and checksums of the rows in (after, until], in key order, at most `limit`. */
  listRange?(ref: TableRef, after: KeyText | null, until: KeyText | null, limit: number): Promise<KeyHash[]>;
}

export interface SourceProject extends RangeChecksums {
  /** The first of `candidates` that exists on the table, or undefined. Throws SyncError for a missing table/key. */
  findVersionColumn(ref: TableRef, candidates: string[]): Promise<string | undefined>;
  countRows(ref: TableRef): Promise<number | undefined>;
  /**
   * Columns of type numeric (or numeric[]) without a declared scale: Realtime sends their values as
   * JSON numbers, which lose a scale such as 1.50; changes to rows holding them are re-read.
   */
  readUnscaledNumericColumns(ref: TableRef): Promise<string[]>;
  /** The table's column names, from one row (empty if the table has no rows). */
  readColumns(ref: TableRef): Promise<string[]>;
  /** The highest non-null value of the version column, as the API returns it. */
  readMaxVersion(ref: TableRef, versionColumn: string): Promise<string | null>;
  /** Rows ordered by (version, key) strictly after `after`, or from `from` (inclusive) when `after` is null. */
  readByVersion(
    ref: TableRef,
    versionColumn: string,
    after: KeysetCursor | null,
    from: string | null,
    limit: number,
  ): Promise<Row[]>;
  /** Rows ordered by key strictly after `after` (the whole table). */
  readByKey(ref: TableRef, after: KeyValues | null, limit: number): Promise<Row[]>;
  readRowsByKeys(ref: TableRef, keys: Row[]): Promise<Row[]>;
  readPendingDeletions(ref: TableRef, limit: number): Promise<PendingDeletion[]>;
  markDeletionsProcessed(ids: number[]): Promise<void>;
  /** Installs the delete-tracking trigger (and the Realtime publication entry). Idempotent. */
  enableTable(ref: TableRef, realtime: boolean): Promise<{ trigger: string; realtimePublication: string }>;
  subscribe(
    ref: TableRef,
    onChange: (event: ChangeEvent) => void,
    onStatus: (status: SubscriptionStatus) => void,
  ): ChangeSubscription;
}

export interface TargetProject extends RangeChecksums {
  /** Throws SyncError when the table or key columns are missing on the target. */
  checkTable(ref: TableRef): Promise<void>;
  applyUpserts(
    ref: TableRef,
    versionColumn: string | null,
    rows: Row[],
  ): Promise<{ written: number; skipped: number }>;
  /** Each key may carry `_deleted_at` (when the delete happened on the source). */
  applyDeletes(ref: TableRef, versionColumn: string | null, keys: Row[]): Promise<{ deleted: number }>;
}

/** Something the user must fix (missing table, missing migration, bad key): retrying will not help. */
export class SyncError extends Error {
  constructor(
    message: string,
    readonly kind: 'config' | 'schema' | 'auth' | 'migration' | 'unavailable' | 'request',
  ) {
    super(message);
    this.name = 'SyncError';
  }

  get retryable(): boolean {
    return this.kind === 'unavailable';
  }
}
