/**
 * Comparing a table on both projects without moving its rows: the checksums `verify` reads of key
 * ranges (supabase/migrations/20251124120000_sync_verify.sql), through the Data API or the databases.
 */
import type { KeyTextValues, TableRef } from './rows.js';

/** One bucket of `summarizeRange`: its first and last key, its row count and checksum. */
export interface RangeBucket {
  first: KeyTextValues;
  last: KeyTextValues;
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
  key: KeyTextValues;
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
    after: KeyTextValues | null,
    until: KeyTextValues | null,
    buckets: number,
    minBucketRows?: number,
  ): Promise<RangeBucket[]>;
  /** Count and checksum of (after, b1], (b1, b2], … (a null last bound: to the end). */
  hashRanges?(
    ref: TableRef,
    after: KeyTextValues | null,
    bounds: Array<KeyTextValues | null>,
  ): Promise<RangeHash[]>;
  /** Keys and checksums of the rows in (after, until], in key order, at most `limit`. */
  listRange?(
    ref: TableRef,
    after: KeyTextValues | null,
    until: KeyTextValues | null,
    limit: number,
  ): Promise<KeyHash[]>;
}
