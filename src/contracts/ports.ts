/**
 * What the sync needs from a Supabase project, independent of how it is reached: the one contract
 * the activities see. The supabase-js adapters of src/supabase/ implement it, one module per role:
 * `source.ts` (reading the primary), `target.ts` (writing the backup), `realtime.ts` (the change
 * feed). Row data flows through these calls inside activities and never reaches Temporal.
 */
import type { AppCatalogReader } from './app-catalog.js';
import type { TableListing, TableSchemaResult } from './table-schema.js';
import type { RangeChecksums } from './range-checksums.js';
import type { KeyTextValues, KeyValues, Row, TableRef } from './rows.js';

export type { KeyTextValues, KeyValues, Row, TableRef } from './rows.js';

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
  /** 'delete': one key deleted (or moved away by a key change); 'truncate': the whole table emptied. */
  kind: 'delete' | 'truncate';
  /** The deleted key (empty for a truncate). */
  primaryKey: Row;
  /** When it happened on the source (its clock). */
  deletedAt: string;
  /**
   * How long ago it happened, by the source's clock when it was read (functions of 20261207140000
   * on; absent before).
   */
  ageMs?: number;
}

/** What the source has now, cheaply: its newest version and newest unprocessed ledger entry. */
export interface SourcePosition {
  version: string | null;
  ledger: number | null;
  /** The ids of the oldest and newest change-log entries (tables without a version column), or null. */
  changes?: { first: number; last: number } | null;
  /** The source database's clock when it was read (ms since the epoch; absent before 20261207150000). */
  dbMs?: number | null;
}

/** An entry of the change log (20261207150000_sync_change_log.sql): the keys one INSERT or UPDATE wrote. */
export interface ChangeEntry {
  id: number;
  keys: Row[];
}

/** A row's key (its values in key order, as the rows render them) and version, without the row. */
export interface KeyVersion {
  key: KeyValues;
  version: string;
}

/** A write refused by a unique constraint other than the key: the constraint's name, nothing written. */
export interface UpsertResult {
  written: number;
  skipped: number;
  conflict?: string;
}

/** One table's rows for `applyUpsertsMany` (the feeds' writes gathered: src/activities/apply-batches.ts). */
export interface UpsertCall {
  ref: TableRef;
  versionColumn: string | null;
  rows: Row[];
}

/** `resolveConflict`: target rows still in the way (their keys), or what was written. */
export type ResolveResult =
  { blockers: Row[]; constraint: string } | { blockers?: undefined; written: number; deleted: number };

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

/** Reading a project's catalog (both projects: supabase/migrations/20261202120000_sync_catalog.sql). */
export interface CatalogReader {
  /** The table as the catalog describes it ({exists: false} when there is none). */
  readSchema(ref: Pick<TableRef, 'schema' | 'table'>): Promise<TableSchemaResult>;
  /** Every table a pattern may select (platform schemas and partitions left out). */
  listTables(): Promise<TableListing[]>;
  /** The version of the supabase-sync functions the project has (`sync_functions_version`), or null before it existed. */
  functionsVersion(): Promise<number | null>;
}

/**
 * A sequence and where it is (supabase/migrations/20261202141400_sync_sequences.sql): names and
 * numbers only. `table` is set for a sequence behind a column (serial, identity, a nextval default):
 * each project resolves the sequence behind the same column. `next` is what nextval() returns next
 * (decimal text; null: the project has no such sequence).
 */
export interface SequencePosition {
  schema: string;
  name: string;
  table?: { schema: string; table: string; column: string };
  next: string | null;
  increment?: string;
}

/** A sequence moved forward on the target (`before`/`after`: its next values; null: missing there). */
export interface SequenceAdvance {
  schema: string;
  name: string;
  before: string | null;
  after: string | null;
  advanced: boolean;
}

/** Reading sequences (both projects). */
export interface SequenceReader {
  /** The sequences behind the table's columns, then the named ones (`schema.name`), with their positions. */
  readSequences(ref: Pick<TableRef, 'schema' | 'table'>, named: string[]): Promise<SequencePosition[]>;
  /** The positions on this project of sequences read on the other one (same entries, this project's `next`). */
  sequencePositions(sequences: SequencePosition[]): Promise<SequencePosition[]>;
}

/** One table's part of readVersionsMany: as readVersions' arguments. */
export interface VersionsRequest {
  ref: TableRef;
  versionColumn: string;
  from: string | null;
  until: string | null;
  limit: number;
}

export interface RowEstimate {
  rows: number;
  exact: boolean;
}

export interface SourceProject
  extends Required<RangeChecksums>, CatalogReader, AppCatalogReader, SequenceReader {
  countRows(ref: TableRef): Promise<number>;
  /** About how many rows the table holds: exact when small, else estimated (cheap on any size). */
  estimateRows(ref: TableRef): Promise<RowEstimate>;
  /** The newest version and the newest unprocessed ledger entry (a few index lookups). */
  readPosition(ref: TableRef, versionColumn: string | null): Promise<SourcePosition>;
  /** readPosition for many tables in one call; a table that cannot be read gets `error`. */
  readPositions(
    tables: Array<{ ref: TableRef; versionColumn: string | null }>,
  ): Promise<Array<SourcePosition | { error: string }>>;
  /** Keys and versions of the rows with a version in [from, until] (null: open), in version order. */
  readVersions(
    ref: TableRef,
    versionColumn: string,
    from: string | null,
    until: string | null,
    limit: number,
  ): Promise<KeyVersion[]>;
  /**
   * readVersions for many tables in one call, `budget` rows in all at most: each listing comes with
   * the limit it was read with (less than asked once the budget is spent; a listing that long may
   * have more). A table that cannot be read gets `error`.
   */
  readVersionsMany(
    requests: VersionsRequest[],
    budget: number,
  ): Promise<Array<{ versions: KeyVersion[]; limit: number } | { error: string }>>;
  /** Unprocessed ledger entries with ids after `afterId`, oldest first. */
  readDeletionsAfter(ref: TableRef, afterId: number, limit: number): Promise<PendingDeletion[]>;
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
  /** The rows with these keys, read in one statement (one snapshot) per 5000 keys. */
  readRowsByKeys(ref: TableRef, keys: Row[]): Promise<Row[]>;
  /** Which of these keys (as text, in key order) have a row. */
  presentKeys(ref: TableRef, keys: KeyTextValues[]): Promise<KeyTextValues[]>;
  readPendingDeletions(ref: TableRef, limit: number): Promise<PendingDeletion[]>;
  markDeletionsProcessed(ids: number[]): Promise<void>;
  /**
   * Turns the change log of a table without a version column on or off (realtime-changes.ts);
   * 'created' | 'kept' | 'removed' | 'none', or 'unavailable' on a source without the function.
   */
  trackChanges(ref: TableRef, on: boolean): Promise<string>;
  /** Change-log entries with ids up to `upto`, oldest first, holding about `limit` keys (at least one entry). */
  readChanges(ref: TableRef, upto: number, limit: number): Promise<ChangeEntry[]>;
  /** Forgets change-log entries: these ids, and every one up to `upto`. */
  forgetChanges(ref: TableRef, ids: number[], upto: number | null): Promise<void>;
  /** Installs delete and truncate tracking (and the Realtime publication entry, with its grants). Idempotent. */
  enableTable(
    ref: TableRef,
    realtime: boolean,
  ): Promise<{ trigger: string; realtimePublication: string; grants: string[]; partitions: number }>;
  /** `entities`: the names its changes are published under (TableSchema.publishedAs), default the table. */
  subscribe(
    ref: TableRef,
    onChange: (event: ChangeEvent) => void,
    onStatus: (status: SubscriptionStatus) => void,
    entities?: string[],
  ): ChangeSubscription;
}

export interface TargetProject
  extends Required<RangeChecksums>, CatalogReader, AppCatalogReader, SequenceReader {
  /** Moves the target's sequences forward to at least the source's positions plus `margin` (never backward). */
  advanceSequences(sequences: SequencePosition[], margin: number): Promise<SequenceAdvance[]>;
  /**
   * Writes rows through `sync_apply_upserts`. A unique constraint other than the key that refuses a
   * group of rows is reported in `conflict` (that group is not written); activities resolve it
   * through `resolveConflict` (src/activities/writes.ts).
   */
  applyUpserts(ref: TableRef, versionColumn: string | null, rows: Row[]): Promise<UpsertResult>;
  /**
   * Several tables' upserts in one request (`sync_apply_upserts_many`), each call all written or
   * none of it: per call its result, or the SQLSTATE it failed with (the caller sends that one again
   * through `applyUpserts`, whose error says what is wrong). A SyncError of kind `migration` when the
   * target lacks the function. Each call's rows share their columns.
   */
  applyUpsertsMany?(calls: UpsertCall[]): Promise<Array<UpsertResult | { error: string }>>;
  /** Each key may carry `_deleted_at` (when the delete happened on the source). */
  applyDeletes(ref: TableRef, versionColumn: string | null, keys: Row[]): Promise<{ deleted: number }>;
  /** `sync_apply_resolve`: the source's current rows of the keys involved, and the keys gone there. */
  resolveConflict(
    ref: TableRef,
    versionColumn: string | null,
    rows: Row[],
    gone: Row[],
  ): Promise<ResolveResult>;
}

/** Something the user must fix (missing table, missing migration, bad key): retrying will not help. */
export class SyncError extends Error {
  constructor(
    message: string,
    readonly kind: 'config' | 'schema' | 'auth' | 'migration' | 'unavailable' | 'conflict' | 'request',
  ) {
    super(message);
    this.name = 'SyncError';
  }

  /** 'unavailable': the project is down or failing; 'conflict': concurrent writers met (try again). */
  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'conflict';
  }
}
