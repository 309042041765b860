/**
 * The calls of verify's range checksums (supabase/migrations/20251124120000_sync_verify.sql), one
 * description for both ways of reaching them: the Data API (project.ts, an RPC with named
 * arguments) and a database URL (direct-pool.ts, the same function called in SQL).
 */
import type { KeyTextValues, TableRef } from '../contracts/ports.js';
import type { KeyHash, RangeChecksums } from '../contracts/range-checksums.js';

export interface RangeCall {
  fn: 'sync_range_summary' | 'sync_range_hashes' | 'sync_range_rows';
  /** Named arguments, in the function's order. */
  args: Record<string, unknown>;
  /** The arguments of type jsonb (a database call sends them as JSON text). */
  jsonb: string[];
  what: string;
}

const table = (ref: TableRef) => ({
  p_schema: ref.schema,
  p_table: ref.table,
  p_primary_keys: ref.primaryKeys,
});

/** The rows in (after, until] cut into at most `buckets` buckets of equal row counts. */
export function summaryCall(
  ref: TableRef,
  after: KeyTextValues | null,
  until: KeyTextValues | null,
  buckets: number,
  minBucketRows: number,
): RangeCall {
  return {
    fn: 'sync_range_summary',
    args: {
      ...table(ref),
      p_after: after,
      p_until: until,
      p_buckets: buckets,
      p_min_bucket_rows: minBucketRows,
    },
    jsonb: ['p_after', 'p_until'],
    what: 'summarizing a key range',
  };
}

/** Count and checksum of (after, b1], (b1, b2], … */
export function hashesCall(
  ref: TableRef,
  after: KeyTextValues | null,
  bounds: Array<KeyTextValues | null>,
): RangeCall {
  return {
    fn: 'sync_range_hashes',
    args: { ...table(ref), p_after: after, p_bounds: bounds },
    jsonb: ['p_after', 'p_bounds'],
    what: 'checksumming key ranges',
  };
}

/** Keys and checksums of the rows in (after, until], at most `limit`. */
export function rowsCall(
  ref: TableRef,
  after: KeyTextValues | null,
  until: KeyTextValues | null,
  limit: number,
): RangeCall {
  return {
    fn: 'sync_range_rows',
    args: { ...table(ref), p_after: after, p_until: until, p_limit: limit },
    jsonb: ['p_after', 'p_until'],
    what: 'listing the keys of a range',
  };
}

/** `sync_range_rows`' pairs as KeyHash objects. */
export function keyHashes(rows: Array<[KeyTextValues, string]>): KeyHash[] {
  return rows.map(([key, hash]) => ({ key, hash }));
}

/** Calls one of the functions above (an RPC through the API, or SQL over a database URL). */
export type RangeCaller = <T>(ref: TableRef, call: RangeCall) => Promise<T>;

/** The three checksum reads of `RangeChecksums` over one way of calling the functions. */
export function rangeChecksums(call: RangeCaller): { [K in keyof RangeChecksums]-?: RangeChecksums[K] } {
  return {
    summarizeRange: (ref, after, until, buckets, minBucketRows = 1) =>
      call(ref, summaryCall(ref, after, until, buckets, minBucketRows)),
    hashRanges: async (ref, after, bounds) =>
      bounds.length === 0 ? [] : call(ref, hashesCall(ref, after, bounds)),
    listRange: async (ref, after, until, limit) =>
      keyHashes(await call(ref, rowsCall(ref, after, until, limit))),
  };
}
